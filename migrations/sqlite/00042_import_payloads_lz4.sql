-- +goose Up
-- Nothing to change on SQLite (see the PostgreSQL migration of the same number).
SELECT 1;

-- +goose Down
SELECT 1;
