-- +goose Up
-- Spam-listed IP ranges. tenant_id 0 is the global list (loaded by the CLI); other
-- tenants keep their own. Keys are 16-byte big-endian addresses (IPv4 mapped into IPv6
-- space) so one comparable column type holds both families.
CREATE TABLE spam_ranges (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  bigint NOT NULL,
    from_key   blob NOT NULL,
    to_key     blob NOT NULL,
    entry      text NOT NULL,
    source     text NOT NULL DEFAULT '',
    created_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX spam_ranges_tenant_range ON spam_ranges (tenant_id, from_key, to_key);

-- A change counter per list, so replicas reload their in-memory copy only when it changed.
CREATE TABLE spam_list_versions (
    tenant_id bigint PRIMARY KEY,
    version   bigint NOT NULL
);

-- +goose Down
DROP TABLE spam_list_versions;
DROP TABLE spam_ranges;
