-- +goose Up
-- A tenant deleted in SQL (DELETE FROM tenants) takes most of its rows with it through
-- the foreign keys' ON DELETE CASCADE, but three tables have no foreign key to tenants:
-- contact_keys (dropped in 00005: its per-row check slowed bulk inserts), spam_ranges
-- and spam_list_versions (their tenant 0 is the global list, not a tenant). This
-- trigger deletes the tenant's rows there too, so nothing of it is left behind.
-- `contacthub tenants delete` empties every table in batches before it deletes the
-- tenant row, so there the trigger finds nothing (three index lookups).
-- +goose StatementBegin
CREATE FUNCTION contacthub_delete_tenant_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM contact_keys WHERE tenant_id = OLD.id;
    DELETE FROM spam_ranges WHERE tenant_id = OLD.id;
    DELETE FROM spam_list_versions WHERE tenant_id = OLD.id;
    RETURN OLD;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER tenants_delete_rows AFTER DELETE ON tenants
    FOR EACH ROW EXECUTE FUNCTION contacthub_delete_tenant_rows();

-- +goose Down
DROP TRIGGER tenants_delete_rows ON tenants;
DROP FUNCTION contacthub_delete_tenant_rows();
