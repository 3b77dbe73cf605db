-- +goose Up
-- Imports (docs/imports.md): the seed 000 person's fields on contacts, and
-- the import engine's tables.
--
-- The person's text fields are standard text fields (models.textFields); flags,
-- addresses and the dossier are one JSON column, profile. Adding columns with a
-- constant default rewrites nothing on PostgreSQL 11+, however many contacts there are.
ALTER TABLE contacts
    ADD COLUMN external_id text NOT NULL DEFAULT '',
    ADD COLUMN contact_type text NOT NULL DEFAULT '',
    ADD COLUMN entity_type text NOT NULL DEFAULT '',
    ADD COLUMN preferred_language text NOT NULL DEFAULT '',
    ADD COLUMN qualification_status text NOT NULL DEFAULT '',
    ADD COLUMN interaction_status text NOT NULL DEFAULT '',
    ADD COLUMN source text NOT NULL DEFAULT '',
    ADD COLUMN advertisement_consent_date text NOT NULL DEFAULT '',
    ADD COLUMN last_interaction_date text NOT NULL DEFAULT '',
    ADD COLUMN external_created_at text NOT NULL DEFAULT '',
    ADD COLUMN external_updated_at text NOT NULL DEFAULT '',
    ADD COLUMN profile text NOT NULL DEFAULT '{}';
-- external_id is unique per tenant. The write path finds contacts by it through
-- contact_keys ("x:" keys, locked like every blocking key); this index is the last word.
CREATE UNIQUE INDEX contacts_external_id ON contacts (tenant_id, external_id) WHERE external_id <> '';

CREATE TABLE imports (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind text NOT NULL,
    entity text NOT NULL,
    options text NOT NULL DEFAULT '{}',
    status text NOT NULL,
    reason text NOT NULL DEFAULT '',
    total integer NOT NULL,
    processed integer NOT NULL DEFAULT 0,
    created integer NOT NULL DEFAULT 0,
    updated integer NOT NULL DEFAULT 0,
    skipped integer NOT NULL DEFAULT 0,
    errors integer NOT NULL DEFAULT 0,
    checkpoint integer NOT NULL DEFAULT 0,
    lease_owner text NOT NULL DEFAULT '',
    lease_until timestamptz,
    requeued_at timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    completed_at timestamptz
);
CREATE INDEX imports_tenant ON imports (tenant_id, id);
-- The resume job's question: imports still processing.
CREATE INDEX imports_processing ON imports (lease_until) WHERE status = 'processing';

CREATE TABLE import_payloads (
    import_id bigint PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
    tenant_id bigint NOT NULL,
    data bytea NOT NULL
);
CREATE INDEX import_payloads_tenant ON import_payloads (tenant_id, import_id);

CREATE TABLE import_errors (
    id bigserial PRIMARY KEY,
    tenant_id bigint NOT NULL,
    import_id bigint NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row integer NOT NULL,
    field text NOT NULL,
    error text NOT NULL
);
CREATE INDEX import_errors_by_row ON import_errors (tenant_id, import_id, row, id);

-- +goose Down
DROP TABLE import_errors;
DROP TABLE import_payloads;
DROP TABLE imports;
DROP INDEX contacts_external_id;
ALTER TABLE contacts
    DROP COLUMN external_id, DROP COLUMN contact_type, DROP COLUMN entity_type, DROP COLUMN preferred_language,
    DROP COLUMN qualification_status, DROP COLUMN interaction_status, DROP COLUMN source,
    DROP COLUMN advertisement_consent_date, DROP COLUMN last_interaction_date, DROP COLUMN external_created_at,
    DROP COLUMN external_updated_at, DROP COLUMN profile;
