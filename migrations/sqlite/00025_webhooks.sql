-- +goose Up
-- Webhook endpoints and their delivery log (see the PostgreSQL migration of the same
-- number).
CREATE TABLE webhooks (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id                  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url                        text NOT NULL,
    description                text NOT NULL DEFAULT '',
    event_types                text NOT NULL,
    active                     boolean NOT NULL DEFAULT 1,
    disabled_reason            text NOT NULL DEFAULT '',
    secret                     text NOT NULL,
    previous_secret            text NOT NULL DEFAULT '',
    previous_secret_expires_at datetime,
    failing_since              datetime,
    created_at                 datetime NOT NULL,
    updated_at                 datetime NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id);

CREATE TABLE webhook_deliveries (
    id              text PRIMARY KEY,
    tenant_id       bigint NOT NULL,
    webhook_id      bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        bigint NOT NULL DEFAULT 0,
    message_id      text NOT NULL,
    type            text NOT NULL,
    payload         text NOT NULL,
    state           text NOT NULL,
    run             integer NOT NULL DEFAULT 1,
    run_attempts    integer NOT NULL DEFAULT 0,
    attempts        integer NOT NULL DEFAULT 0,
    max_attempts    integer NOT NULL,
    next_attempt_at datetime,
    log             text NOT NULL DEFAULT '[]',
    created_at      datetime NOT NULL,
    updated_at      datetime NOT NULL
);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (tenant_id, webhook_id, id);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (created_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_created ON webhook_deliveries (created_at);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
