-- +goose Up
-- PostgreSQL only (autovacuum analyses tables sooner, see postgres/00008). SQLite
-- keeps the version numbers in step with an empty migration.
SELECT 1;

-- +goose Down
SELECT 1;
