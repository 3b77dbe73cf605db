-- +goose Up
-- The review queue (see the PostgreSQL migration of the same number).
CREATE TABLE duplicate_pairs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    contact_a   bigint NOT NULL,
    contact_b   bigint NOT NULL,
    score       double precision NOT NULL,
    explanation text NOT NULL,
    status      text NOT NULL DEFAULT 'open',
    merge_id    text,
    created_at  datetime NOT NULL,
    updated_at  datetime NOT NULL
);
CREATE UNIQUE INDEX duplicate_pairs_pair ON duplicate_pairs (tenant_id, contact_a, contact_b);
CREATE INDEX duplicate_pairs_queue ON duplicate_pairs (tenant_id, status, score DESC, id);

-- +goose Down
DROP TABLE duplicate_pairs;
