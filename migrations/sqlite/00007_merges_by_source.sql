-- +goose Up
-- Finding the contact an absorbed contact was merged into (a join's answer, and the
-- check that an undone pair stays apart) looks merges up by source_contact_id. No
-- tenant_id prefix on purpose: an index starting with tenant_id alone would offer the
-- planner a tenant-wide path for the per-contact history lookup, and a plan made while
-- merges was empty chose it and then scanned every merge of the tenant per candidate.
CREATE INDEX merges_source ON merges (source_contact_id);

-- +goose Down
DROP INDEX merges_source;
