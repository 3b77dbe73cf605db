-- +goose Up
-- The answers to requests sent with an Idempotency-Key header (handlers/idempotency.go).
-- A request claims its key with a row before it does any work (status and completed_at
-- NULL: in progress), and fills in its answer when done, so a retry with the same key
-- replays the answer instead of writing again. Keys are a tenant's; rows live 24 hours
-- (store/idempotency.go prunes older ones by created_at).
CREATE TABLE idempotency_keys (
    id               bigserial PRIMARY KEY,        -- never reused: a claim's token
    tenant_id        bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key              text NOT NULL,
    request_hash     text NOT NULL,                -- hex SHA-256 of method, path and body
    status           integer,                      -- the answer's; NULL while in progress
    response_headers text,                         -- JSON object of header value lists
    response_body    bytea,
    created_at       timestamptz NOT NULL,
    completed_at     timestamptz
);
CREATE UNIQUE INDEX idempotency_keys_tenant_key ON idempotency_keys (tenant_id, key);
CREATE INDEX idempotency_keys_tenant_created ON idempotency_keys (tenant_id, created_at);

-- +goose Down
DROP TABLE idempotency_keys;
