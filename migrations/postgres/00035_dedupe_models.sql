-- +goose Up
-- A tenant's duplicate models (issue 17): each training stores a new version; the
-- active one (at most one per tenant) scores the tenant's contacts, none active means
-- the defaults. Rolling back activates an older version or none; nothing is deleted,
-- so every explanation's model_version stays readable.
CREATE TABLE dedupe_models (
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    version     integer NOT NULL,
    model       text NOT NULL,
    contacts    bigint NOT NULL,
    active      boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, version)
);
CREATE UNIQUE INDEX dedupe_models_active ON dedupe_models (tenant_id) WHERE active;

-- +goose Down
DROP TABLE dedupe_models;
