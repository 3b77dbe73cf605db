-- +goose Up
-- How far each tenant's contacts are indexed with the blocking keys of a version
-- (see the PostgreSQL migration of the same number; SQLite has no lookup function to
-- replace: store.keyLookup reads the rows and drops crowded capped keys itself).
CREATE TABLE contact_key_versions (
    tenant_id       bigint PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    version         integer NOT NULL,
    from_version    integer NOT NULL,
    last_contact_id bigint NOT NULL DEFAULT 0,
    done            boolean NOT NULL DEFAULT false,
    updated_at      datetime NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- +goose Down
DROP TABLE contact_key_versions;
