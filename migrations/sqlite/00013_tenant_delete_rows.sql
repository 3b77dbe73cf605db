-- +goose Up
-- The same trigger as on PostgreSQL (see postgres/00013): a tenant deleted in SQL leaves
-- nothing behind in the tables without a foreign key to tenants (spam_ranges,
-- spam_list_versions; contact_keys keeps its cascade from contacts here, the delete is
-- for symmetry).
-- +goose StatementBegin
CREATE TRIGGER tenants_delete_rows AFTER DELETE ON tenants FOR EACH ROW
BEGIN
    DELETE FROM contact_keys WHERE tenant_id = OLD.id;
    DELETE FROM spam_ranges WHERE tenant_id = OLD.id;
    DELETE FROM spam_list_versions WHERE tenant_id = OLD.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER tenants_delete_rows;
