-- +goose Up
-- The outbox: every mutation of a contact, term, comment, custom field, merge or undo
-- writes one row here in its own transaction. The change feed (GET /api/v1/events) and
-- the publisher job read it.
--
-- Identity values are taken in the order transactions ask for them, not in the order
-- they commit, so a reader paging by "id > cursor" would skip a row that commits after
-- a higher id it already read. Each row therefore records the id of the transaction
-- that wrote it (txid); readers order by (txid, id) and only read rows whose
-- transaction is older than the oldest transaction still running
-- (pg_snapshot_xmin(pg_current_snapshot())). Every such transaction has ended, and
-- every transaction that has not yet written gets a larger txid, so nothing can
-- appear behind a position a reader has passed (store/event.go).
--
-- No foreign key to tenants, as contact_keys: the row is written on the hottest
-- path; tenant deletion removes a tenant's events explicitly.
CREATE TABLE events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id  bigint NOT NULL,
    type       text NOT NULL,
    data       text NOT NULL,
    created_at timestamptz NOT NULL,
    txid       xid8 NOT NULL DEFAULT pg_current_xact_id()
);
-- The feed of one tenant, and the publisher across tenants.
CREATE INDEX events_tenant_position ON events (tenant_id, txid, id);
CREATE INDEX events_position ON events (txid, id);

-- How far each consumer of the outbox (the publisher job, later webhooks) has read.
CREATE TABLE event_cursors (
    name       text PRIMARY KEY,
    txid       xid8 NOT NULL DEFAULT '0',
    event_id   bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE event_cursors;
DROP TABLE events;
