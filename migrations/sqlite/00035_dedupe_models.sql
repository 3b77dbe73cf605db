-- +goose Up
-- A tenant's duplicate models (see the PostgreSQL migration of the same number).
CREATE TABLE dedupe_models (
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    version     integer NOT NULL,
    model       text NOT NULL,
    contacts    bigint NOT NULL,
    active      boolean NOT NULL DEFAULT false,
    created_at  datetime NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
CREATE UNIQUE INDEX dedupe_models_active ON dedupe_models (tenant_id) WHERE active;

-- +goose Down
DROP TABLE dedupe_models;
