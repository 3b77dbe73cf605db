-- +goose Up
-- The events table kept three indexes: its identity key (id), the feed's
-- (tenant_id, txid, id) and the publisher's (txid, id). Every web-form create writes
-- one event row in its statement, and the third index cost that create about 15 % of
-- its throughput (pgbench, BENCHMARKS.md). Every reader orders by (txid, id), and
-- retention prunes in that order too, so (txid, id) becomes the primary key and the
-- key on id alone goes: two indexes instead of three.
ALTER TABLE events DROP CONSTRAINT events_pkey;
DROP INDEX events_position;
ALTER TABLE events ADD PRIMARY KEY (txid, id);

-- +goose Down
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ADD PRIMARY KEY (id);
CREATE INDEX events_position ON events (txid, id);
