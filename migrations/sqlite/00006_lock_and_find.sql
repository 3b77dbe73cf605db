-- +goose Up
-- PostgreSQL only (a function for the write path's locks); SQLite has one writer and
-- needs no locks. Kept so both dialects share version numbers.
SELECT 1;

-- +goose Down
SELECT 1;
