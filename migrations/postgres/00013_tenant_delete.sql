-- +goose NO TRANSACTION
-- +goose Up
-- What deleting a tenant needs, through `contacthub tenants delete` or in SQL.
--
-- The foreign key from contact_terms to terms becomes (tenant_id, term_id) →
-- terms (tenant_id, id). Deleting a term makes the key's trigger delete the term's rows
-- of contact_terms, and on term_id alone no index led with it: each deleted term
-- scanned the whole table, every tenant's rows (148 ms per term with 1M rows; a tenant
-- with 200 terms took 30 s for its terms alone, and DELETE terms/{id} paid it too). On
-- (tenant_id, term_id) the trigger's lookup is contact_terms_term: those 200 terms took
-- 8 ms. An index on contact_terms (term_id) would have done it too, but the planner
-- then took it for pages of a term's contacts (TestTermPageIgnoresStaleTenantStatistics)
-- and it would cost every contact write another index; this costs nothing on the write
-- path (the key's check reads terms by (tenant_id, id) instead of id) and also refuses
-- a row that puts one tenant's term on another's contact.
--
-- NOT VALID, then VALIDATE on its own (no transaction): the check of the existing rows
-- does not block writes to contact_terms. Each statement can be run again, should the
-- migration stop half-way. terms is small: its unique index is built in place.
CREATE UNIQUE INDEX IF NOT EXISTS terms_tenant_id_key ON terms (tenant_id, id);
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'contact_terms_tenant_term_fkey') THEN
        ALTER TABLE contact_terms ADD CONSTRAINT contact_terms_tenant_term_fkey
            FOREIGN KEY (tenant_id, term_id) REFERENCES terms (tenant_id, id) ON DELETE CASCADE NOT VALID;
    END IF;
END;
$$;
-- +goose StatementEnd
ALTER TABLE contact_terms VALIDATE CONSTRAINT contact_terms_tenant_term_fkey;
ALTER TABLE contact_terms DROP CONSTRAINT IF EXISTS contact_terms_term_id_fkey;
-- terms_tenant_id_key has the same columns.
DROP INDEX IF EXISTS terms_tenant_id;

-- A tenant deleted in SQL (DELETE FROM tenants) takes most of its rows with it through
-- the foreign keys' ON DELETE CASCADE, but four tables have no foreign key to tenants:
-- contact_keys (dropped in 00005: its per-row check slowed bulk inserts), events (the
-- same reason, 00011), spam_ranges and spam_list_versions (their tenant 0 is the global
-- list, not a tenant). This trigger deletes the tenant's rows there too, so nothing of
-- it is left behind. `contacthub tenants delete` empties every table in batches before
-- it deletes the tenant row, so there it finds nothing (four index lookups). Written to
-- be run again should this migration stop half-way (it runs outside a transaction).
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
CREATE INDEX IF NOT EXISTS terms_tenant_id ON terms (tenant_id, id);
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'contact_terms_term_id_fkey') THEN
        ALTER TABLE contact_terms ADD CONSTRAINT contact_terms_term_id_fkey
            FOREIGN KEY (term_id) REFERENCES terms (id) ON DELETE CASCADE;
    END IF;
END;
$$;
-- +goose StatementEnd
ALTER TABLE contact_terms DROP CONSTRAINT IF EXISTS contact_terms_tenant_term_fkey;
DROP INDEX IF EXISTS terms_tenant_id_key;
