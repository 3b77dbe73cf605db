-- +goose Up
-- A merge record keeps the before-images needed to undo a merge exactly.
CREATE TABLE merges (
    id                text PRIMARY KEY,
    tenant_id         bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind              text NOT NULL,             -- ingest | manual
    source            text NOT NULL DEFAULT '',  -- api | import | inquiry | admin
    contact_id        bigint NOT NULL,           -- the surviving contact
    source_contact_id bigint,                    -- manual merges: the absorbed contact
    before_contact    text NOT NULL,             -- JSON snapshot of contact_id before
    after_contact     text NOT NULL,             -- JSON snapshot of contact_id after
    before_source     text,                      -- JSON snapshot of the absorbed contact
    submission        text,                      -- ingest merges: what was submitted
    added_keys        text NOT NULL DEFAULT '[]',
    added_comments    text NOT NULL DEFAULT '[]',
    moved_comments    text NOT NULL DEFAULT '[]',
    explanation       text,
    version_after     bigint NOT NULL,
    created_at        datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
    undone_at         datetime
);
CREATE INDEX merges_tenant_created ON merges (tenant_id, created_at DESC, id);
CREATE INDEX merges_tenant_contact ON merges (tenant_id, contact_id);

-- +goose Down
DROP TABLE merges;
