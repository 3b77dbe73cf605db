-- +goose NO TRANSACTION
-- +goose Up
-- What deleting a tenant needs, through `contacthub tenants delete` or in SQL.
--
-- An index on contact_terms (term_id). Deleting a term makes the foreign key's trigger
-- run "DELETE FROM contact_terms WHERE term_id = $1", and no index led with term_id:
-- each deleted term scanned the whole table, every tenant's rows (148 ms per term with
-- 1M rows; a tenant with 200 terms took 30 s for its terms alone, and DELETE terms/{id}
-- paid it too). With it: 2.6 ms. It costs little: term ids repeat, so PostgreSQL's
-- deduplicated index is a fifth of contact_terms_term's size. Built CONCURRENTLY as in
-- 00009, dropped first in case an earlier build failed.
DROP INDEX CONCURRENTLY IF EXISTS contact_terms_term_id;
CREATE INDEX CONCURRENTLY contact_terms_term_id ON contact_terms (term_id);

-- A tenant deleted in SQL (DELETE FROM tenants) takes most of its rows with it through
-- the foreign keys' ON DELETE CASCADE, but four tables have no foreign key to tenants:
-- contact_keys (dropped in 00005: its per-row check slowed bulk inserts), events (the
-- same reason, 00011), spam_ranges and spam_list_versions (their tenant 0 is the global
-- list, not a tenant). This trigger deletes the tenant's rows there too, so nothing of
-- it is left behind. `contacthub tenants delete` empties every table in batches before
-- it deletes the tenant row, so there it finds nothing (four index lookups). Written to be run again
-- should this migration stop half-way (it runs outside a transaction).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contacthub_delete_tenant_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM contact_keys WHERE tenant_id = OLD.id;
    DELETE FROM spam_ranges WHERE tenant_id = OLD.id;
    DELETE FROM spam_list_versions WHERE tenant_id = OLD.id;
    DELETE FROM events WHERE tenant_id = OLD.id;
    RETURN OLD;
END;
$$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS tenants_delete_rows ON tenants;
CREATE TRIGGER tenants_delete_rows AFTER DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION contacthub_delete_tenant_rows();

-- +goose Down
DROP TRIGGER IF EXISTS tenants_delete_rows ON tenants;
DROP FUNCTION IF EXISTS contacthub_delete_tenant_rows();
DROP INDEX CONCURRENTLY IF EXISTS contact_terms_term_id;
