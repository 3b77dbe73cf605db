-- +goose Up
-- Postgres drops the foreign key contact_keys.contact_id → contacts here (its per-row
-- check dominated bulk inserts). SQLite cannot drop a constraint without rebuilding the
-- table, and its check is cheap, so it keeps it; the version stays in step.
SELECT 1;

-- +goose Down
SELECT 1;
