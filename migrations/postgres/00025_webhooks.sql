-- +goose Up
-- Webhook endpoints of a tenant and the log of their deliveries (package webhooks).
-- The signing secret is kept as the receiver has it (whsec_…): HMAC needs it.
CREATE TABLE webhooks (
    id                         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id                  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                        text NOT NULL,
    description                text NOT NULL DEFAULT '',
    event_types                text NOT NULL,                -- JSON array, as subscribed
    active                     boolean NOT NULL DEFAULT true,
    disabled_reason            text NOT NULL DEFAULT '',
    secret                     text NOT NULL,
    previous_secret            text NOT NULL DEFAULT '',
    previous_secret_expires_at timestamptz,
    failing_since              timestamptz,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

-- One row per (event, endpoint), written with its job by the outbox publisher; each
-- attempt rewrites the row (state, counters, next attempt, the log of the latest
-- attempts as JSON), so a delivery costs one write per attempt.
CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,                     -- version 7: creation order
    tenant_id       bigint NOT NULL,
    webhook_id      bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL DEFAULT 0,            -- 0: a ping
    message_id      text NOT NULL,
    type            text NOT NULL,
    payload         text NOT NULL,
    state           text NOT NULL,
    run             integer NOT NULL DEFAULT 1,
    run_attempts    integer NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL,
    next_attempt_at timestamptz,
    log             text NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
-- The delivery log of an endpoint, newest first.
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (tenant_id, webhook_id, id);
-- Queue depth and the oldest pending delivery (metrics).
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (created_at) WHERE state = 'pending';
-- Retention.
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
