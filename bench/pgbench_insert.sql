-- pgbench reference for BENCHMARKS.md: what POST contact writes for a new contact,
-- done by the database alone in one statement: one contacts row with a unique mail
-- and its e-mail key in contact_keys. Run against a database migrated by contacthub
-- (tenant 1 must exist):
--   pgbench -h 127.0.0.1 -U postgres -n -f bench/pgbench_insert.sql -c 16 -j 2 -T 20 DB
\set n random(1, 9000000000000000000)
WITH c AS (
  INSERT INTO contacts (tenant_id, first_name, family_name, mail, mail_key, custom_fields, created_at, updated_at)
  VALUES (1, 'Bench', 'Contact', 'pgb-' || :client_id || '-' || :n || '@example.com',
          'pgb-' || :client_id || '-' || :n || '@example.com', '{}', now(), now())
  RETURNING id, mail_key
)
INSERT INTO contact_keys (tenant_id, key, contact_id) SELECT 1, 'e:' || mail_key, id FROM c;
