-- +goose Up
-- Starting a file import (issue 15): the file import is run by the one import engine
-- (docs/imports.md) as an imports row of kind 'file'; file_imports.import_id links the
-- upload to that run, and the run reads its rows from file_import_chunks (no payload).
-- merged counts the rows a dry run (mode validate) found would merge into an existing
-- contact by the duplicate check.
ALTER TABLE file_imports ADD COLUMN import_id bigint;
CREATE INDEX file_imports_import ON file_imports (tenant_id, import_id) WHERE import_id IS NOT NULL;
ALTER TABLE imports ADD COLUMN merged integer NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE imports DROP COLUMN merged;
DROP INDEX file_imports_import;
ALTER TABLE file_imports DROP COLUMN import_id;
