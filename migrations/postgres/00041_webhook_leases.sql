-- +goose Up
-- The first attempt of a delivery is made by the replica whose outbox publisher wrote
-- it, in that process, without a River job (package webhooks, dispatch.go). Until the
-- attempt is recorded the delivery holds a lease here, written in the publisher's
-- transaction with the delivery: recording the attempt deletes it, in the same
-- statement. A lease left past lease_until belongs to a first attempt that did not
-- happen (the replica was killed, shut down or had too much queued): a periodic sweep
-- on every replica claims such leases (FOR UPDATE SKIP LOCKED, so one replica takes
-- each), deletes them and enqueues a River job for each delivery in the same
-- transaction. The table only ever holds the deliveries in flight, so it has no index
-- but its key. A lease goes with its delivery (an endpoint or a tenant deleted).
CREATE TABLE webhook_leases (
    delivery_id uuid PRIMARY KEY REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    tenant_id   bigint NOT NULL,
    lease_until timestamptz NOT NULL,
    created_at  timestamptz NOT NULL               -- the delivery's, for the queue's age
);

-- +goose Down
DROP TABLE webhook_leases;
