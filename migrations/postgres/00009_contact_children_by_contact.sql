-- +goose NO TRANSACTION
-- +goose Up
-- Indexes that lead with contact_id on the two tables whose rows belong to a contact.
--
-- Deleting a contact (a delete, or a merge absorbing one) makes PostgreSQL's foreign
-- key triggers run "DELETE FROM contact_terms / comments WHERE contact_id = $1". The
-- existing indexes lead with tenant_id, so each ran a sequential scan of the whole
-- table, every tenant's rows: 57 ms per deleted contact with 146,000 term rows, and
-- growing with the table (BENCHMARKS.md, issue 3, stale statistics).
--
-- They also serve statements that name the tenant as "tenant_id + 0 = ?"
-- (store/byid.go): with "tenant_id = ? AND contact_id IN (…)" a tenant that grew
-- after the last ANALYZE looks like one row, and the planner walked
-- contact_terms_term (tenant_id, term_id, contact_id) over all of the tenant's term
-- rows to load the terms of a page of contacts: 90 ms in a 1M tenant.
--
-- CONCURRENTLY, outside a transaction, so replicas still running keep writing while the
-- indexes build; a build that failed leaves an invalid index behind, so each is dropped
-- first (a run that succeeded is recorded and not repeated).
DROP INDEX CONCURRENTLY IF EXISTS contact_terms_contact;
CREATE INDEX CONCURRENTLY contact_terms_contact ON contact_terms (contact_id);
DROP INDEX CONCURRENTLY IF EXISTS comments_contact_id;
CREATE INDEX CONCURRENTLY comments_contact_id ON comments (contact_id);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS comments_contact_id;
DROP INDEX CONCURRENTLY IF EXISTS contact_terms_contact;
