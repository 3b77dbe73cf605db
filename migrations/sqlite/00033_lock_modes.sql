-- +goose Up
-- PostgreSQL only (the write path's lock modes); SQLite has one writer and needs no
-- locks. Kept so both dialects share version numbers.
SELECT 1;

-- +goose Down
SELECT 1;
