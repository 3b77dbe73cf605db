-- +goose Up
-- An import's payload (a 10,000-person body is ~4 MB of JSON) is written once when the
-- import is accepted and read back when a worker that does not hold it starts (another
-- replica, or after a restart). lz4 reads a 4 MB payload back in ~2.5 ms where pglz,
-- the default, took ~25 ms, and writes it about as fast (BENCHMARKS.md, issue 14). A
-- server built without lz4 keeps pglz: the payload is stored either way, and values
-- already stored keep their compression.
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE import_payloads ALTER COLUMN data SET COMPRESSION lz4';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    RAISE NOTICE 'import_payloads.data keeps the default compression: %', SQLERRM;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE 'ALTER TABLE import_payloads ALTER COLUMN data SET COMPRESSION default';
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END
$$;
-- +goose StatementEnd
