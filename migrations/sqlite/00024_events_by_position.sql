-- +goose Up
-- PostgreSQL's events table changes its keys here (see the PostgreSQL migration of the
-- same number). On SQLite the id is the row's own key and the position (txid is 0), so
-- nothing changes; the migration keeps both sets at the same versions.
SELECT 1;

-- +goose Down
SELECT 1;
