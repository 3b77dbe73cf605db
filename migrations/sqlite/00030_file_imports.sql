-- +goose Up
-- File imports (issue 15): see the PostgreSQL migration of the same number.
CREATE TABLE file_imports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    uuid        text NOT NULL,
    type        text NOT NULL,
    mode        text NOT NULL,
    status      text NOT NULL,
    filename    text NOT NULL DEFAULT '',
    format      text NOT NULL,
    encoding    text NOT NULL DEFAULT '',
    delimiter   text NOT NULL DEFAULT '',
    sheet       text NOT NULL DEFAULT '',
    size        bigint NOT NULL DEFAULT 0,
    headers     text NOT NULL DEFAULT '[]',
    suggested   text NOT NULL DEFAULT '{}',
    mapping     text,
    total_rows  bigint NOT NULL DEFAULT 0,
    created_at  datetime NOT NULL,
    updated_at  datetime NOT NULL
);
CREATE UNIQUE INDEX file_imports_tenant_uuid ON file_imports (tenant_id, uuid);
CREATE INDEX file_imports_tenant_id ON file_imports (tenant_id, id);

CREATE TABLE file_import_chunks (
    tenant_id      bigint NOT NULL,
    file_import_id bigint NOT NULL REFERENCES file_imports (id) ON DELETE CASCADE,
    seq            integer NOT NULL,
    first_row      bigint NOT NULL,
    rows           integer NOT NULL,
    data           blob NOT NULL,
    PRIMARY KEY (tenant_id, file_import_id, seq)
);
CREATE INDEX file_import_chunks_first_row ON file_import_chunks (tenant_id, file_import_id, first_row);

-- +goose Down
DROP TABLE file_import_chunks;
DROP TABLE file_imports;
