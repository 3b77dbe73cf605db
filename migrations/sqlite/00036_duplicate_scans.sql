-- +goose Up
-- Tenant-wide duplicate scans (see the PostgreSQL migration of the same number).
CREATE TABLE duplicate_scans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    action       text NOT NULL,
    status       text NOT NULL,
    total        bigint NOT NULL,
    processed    bigint NOT NULL DEFAULT 0,
    last_id      bigint NOT NULL DEFAULT 0,
    queued       bigint NOT NULL DEFAULT 0,
    merged       bigint NOT NULL DEFAULT 0,
    skipped      bigint NOT NULL DEFAULT 0,
    error        text NOT NULL DEFAULT '',
    created_at   datetime NOT NULL,
    updated_at   datetime NOT NULL,
    finished_at  datetime
);
CREATE INDEX duplicate_scans_tenant ON duplicate_scans (tenant_id, id);
CREATE UNIQUE INDEX duplicate_scans_running ON duplicate_scans (tenant_id) WHERE status = 'running';

-- +goose Down
DROP TABLE duplicate_scans;
