-- +goose Up
-- The outbox (see the PostgreSQL migration of the same number). SQLite has one writer at
-- a time (transactions begin IMMEDIATE), so rows commit in id order and the position of
-- a row is its id alone; txid stays 0. AUTOINCREMENT: an id is never used twice, even
-- after retention removed the newest rows, so a reader's cursor stays meaningful.
CREATE TABLE events (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  INTEGER NOT NULL,
    type       TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at DATETIME NOT NULL,
    txid       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX events_tenant_position ON events (tenant_id, id);

CREATE TABLE event_cursors (
    name       TEXT PRIMARY KEY,
    txid       INTEGER NOT NULL DEFAULT 0,
    event_id   INTEGER NOT NULL DEFAULT 0,
    updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- +goose Down
DROP TABLE event_cursors;
DROP TABLE events;
