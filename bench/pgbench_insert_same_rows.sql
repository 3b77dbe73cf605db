-- pgbench reference for BENCHMARKS.md: the rows POST contact writes for one of the load
-- tool's contacts (unique mail, first and family name), written by the database alone
-- in one statement: the contacts row and its two contact_keys rows — the e-mail key
-- and the blocking key of mail local part + name ("l:…", as dedupe computes it for
-- these contacts). Run against a database migrated by contacthub (tenant 1 must exist):
--   pgbench -h 127.0.0.1 -U postgres -n -f bench/pgbench_insert_same_rows.sql -c 16 -j 2 -T 20 DB
\set n random(1, 9000000000000000000)
WITH c AS (
  INSERT INTO contacts (tenant_id, first_name, family_name, mail, mail_key, custom_fields, created_at, updated_at)
  VALUES (1, 'Bench', 'Contact ' || :n, 'pgb-' || :client_id || '-' || :n || '@example.com',
          'pgb-' || :client_id || '-' || :n || '@example.com', '{}', now(), now())
  RETURNING id, mail_key
)
INSERT INTO contact_keys (tenant_id, key, contact_id)
SELECT 1, k, id FROM c, unnest(ARRAY['e:' || mail_key, 'l:pgb-' || :client_id || '-' || :n]) AS k;
