-- +goose Up
-- Indexes for GET /api/v1/contacts (issue 3). Pages are ordered by id; updated_since
-- uses this index. On SQLite the free-text filter q scans the tenant's contacts
-- (contacts_tenant_id), which is fine at the sizes an embedded database serves.
CREATE INDEX contacts_tenant_updated ON contacts (tenant_id, updated_at, id);

-- +goose Down
DROP INDEX contacts_tenant_updated;
