-- +goose Up
-- Imports: see the PostgreSQL migration of the same number.
ALTER TABLE contacts ADD COLUMN external_id text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN contact_type text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN entity_type text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN preferred_language text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN qualification_status text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN interaction_status text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN source text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN advertisement_consent_date text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN last_interaction_date text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN external_created_at text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN external_updated_at text NOT NULL DEFAULT '';
ALTER TABLE contacts ADD COLUMN profile text NOT NULL DEFAULT '{}';
CREATE UNIQUE INDEX contacts_external_id ON contacts (tenant_id, external_id) WHERE external_id <> '';

CREATE TABLE imports (
    id integer PRIMARY KEY AUTOINCREMENT,
    tenant_id integer NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
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
    lease_until datetime,
    requeued_at datetime,
    created_at datetime NOT NULL,
    updated_at datetime NOT NULL,
    completed_at datetime
);
CREATE INDEX imports_tenant ON imports (tenant_id, id);
CREATE INDEX imports_processing ON imports (lease_until) WHERE status = 'processing';

CREATE TABLE import_payloads (
    import_id integer PRIMARY KEY REFERENCES imports (id) ON DELETE CASCADE,
    tenant_id integer NOT NULL,
    data blob NOT NULL
);
CREATE INDEX import_payloads_tenant ON import_payloads (tenant_id, import_id);

CREATE TABLE import_errors (
    id integer PRIMARY KEY AUTOINCREMENT,
    tenant_id integer NOT NULL,
    import_id integer NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
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
