-- +goose Up
-- Which row of which import wrote which inquiry (see the PostgreSQL migration of the
-- same number).
CREATE TABLE inquiry_import_rows (
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    import_id  bigint NOT NULL,
    row        integer NOT NULL,
    inquiry_id bigint NOT NULL,
    PRIMARY KEY (tenant_id, import_id, row)
);

-- +goose Down
DROP TABLE inquiry_import_rows;
