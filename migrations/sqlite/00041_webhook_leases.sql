-- +goose Up
-- Leases of first attempts made in the publishing process (see the PostgreSQL
-- migration of the same number).
CREATE TABLE webhook_leases (
    delivery_id text PRIMARY KEY REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    tenant_id   bigint NOT NULL,
    lease_until datetime NOT NULL,
    created_at  datetime NOT NULL
);

-- +goose Down
DROP TABLE webhook_leases;
