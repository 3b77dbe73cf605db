-- +goose Up
-- What deleting a tenant needs (see postgres/00013).
--
-- An index on contact_terms (term_id): SQLite's foreign key action on a deleted term
-- looks the term's rows up by term_id, and without an index leading with it scanned the
-- whole table for every term, while holding the one writer lock. (PostgreSQL changes
-- the key to (tenant_id, term_id) instead; SQLite cannot change a foreign key without
-- rebuilding the table. Its planner keeps contact_terms_term for a term's pages, which
-- match two of its columns.)
CREATE INDEX contact_terms_term_id ON contact_terms (term_id);

-- A tenant deleted in SQL leaves nothing behind in the tables without a foreign key to
-- tenants (events, spam_ranges, spam_list_versions; contact_keys keeps its cascade from
-- contacts here, its delete is for symmetry).
-- +goose StatementBegin
CREATE TRIGGER tenants_delete_rows AFTER DELETE ON tenants FOR EACH ROW
BEGIN
    DELETE FROM contact_keys WHERE tenant_id = OLD.id;
    DELETE FROM spam_ranges WHERE tenant_id = OLD.id;
    DELETE FROM spam_list_versions WHERE tenant_id = OLD.id;
    DELETE FROM events WHERE tenant_id = OLD.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER tenants_delete_rows;
DROP INDEX contact_terms_term_id;
