-- pgbench script with the statements contacthub sends for one POST contact that
-- creates a contact with check `email` (captured with log_statement=all), one round
-- trip each (colons in literals are written chr(58): pgbench would take them for variables): it tells how much of the gap to bench/pgbench_insert.sql is the shape
-- of the write path (7 round trips, 3 key rows) rather than Go. Run with -M prepared
-- like pgx's statement cache:
--   pgbench -h 127.0.0.1 -U postgres -n -M prepared -f bench/pgbench_server_shape.sql -c 16 -j 2 -T 20 DB
\set n random(1, 9000000000000000000)
SELECT * FROM custom_fields WHERE tenant_id = 1 ORDER BY id;
BEGIN;
SELECT count(pg_advisory_xact_lock(k)) FROM unnest(ARRAY[hashtextextended('e' || CAST(:n AS text), 1), hashtextextended('l' || CAST(:n AS text), 2), hashtextextended('p' || CAST(:n AS text), 3)]) AS k;
SELECT key, contact_id FROM contact_keys WHERE tenant_id = 1 AND key IN ('e' || chr(58) || 'pgs-' || CAST(:client_id AS text) || '-' || CAST(:n AS text) || '@example.com');
INSERT INTO contacts (tenant_id, first_name, family_name, mail, mail_key, custom_fields, created_at, updated_at)
  VALUES (1, 'Bench', 'Contact', 'pgs-' || CAST(:client_id AS text) || '-' || CAST(:n AS text) || '@example.com',
          'pgs-' || CAST(:client_id AS text) || '-' || CAST(:n AS text) || '@example.com', '{}', now(), now())
  RETURNING id \gset
INSERT INTO contact_keys (tenant_id, key, contact_id) VALUES
  (1, 'e' || chr(58) || 'pgs-' || CAST(:client_id AS text) || '-' || CAST(:n AS text) || '@example.com', :id),
  (1, 'l' || chr(58) || CAST(:n AS text) || '|1', :id), (1, 'l' || chr(58) || CAST(:n AS text) || '|2', :id)
  ON CONFLICT DO NOTHING;
COMMIT;
