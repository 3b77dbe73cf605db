-- +goose Up
-- Finding the contact an absorbed contact was merged into (a join's answer, and the
-- check that an undone pair stays apart) looks merges up by source_contact_id.
CREATE INDEX merges_tenant_source ON merges (tenant_id, source_contact_id);

-- +goose Down
DROP INDEX merges_tenant_source;
