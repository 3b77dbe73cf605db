-- +goose Up
-- Which row of which import wrote which inquiry (issue 16: file imports of type
-- inquiries). The import engine commits a batch's checkpoint after its rows, and an
-- inquiry is written in its own transaction (customer matching goes through the
-- contact service first), so a batch redone after a crash or a lost lease finds here
-- the rows it wrote already. The marker is inserted in the inquiry's transaction and
-- the primary key refuses a second one: a row of an import writes one inquiry, even
-- when two workers write the same batch at once.
CREATE TABLE inquiry_import_rows (
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    import_id  bigint NOT NULL,
    row        integer NOT NULL,
    inquiry_id bigint NOT NULL,
    PRIMARY KEY (tenant_id, import_id, row)
);

-- +goose Down
DROP TABLE inquiry_import_rows;
