-- +goose Up
-- Starting a file import: see the PostgreSQL migration of the same number.
ALTER TABLE file_imports ADD COLUMN import_id integer;
CREATE INDEX file_imports_import ON file_imports (tenant_id, import_id) WHERE import_id IS NOT NULL;
ALTER TABLE imports ADD COLUMN merged integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE imports DROP COLUMN merged;
DROP INDEX file_imports_import;
ALTER TABLE file_imports DROP COLUMN import_id;
