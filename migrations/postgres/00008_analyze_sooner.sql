-- +goose Up
-- PostgreSQL plans a tenant's queries from the statistics of the last ANALYZE. A tenant
-- that arrived after it looks like one row, and a lookup by mail (or by anything else
-- the planner can answer from several tenant-prefixed indexes) may then walk all of the
-- tenant's rows: 348 ms for GET contact/{mail} in a new 1M tenant (BENCHMARKS.md, issue 4,
-- stale statistics). Lookups by id avoid this in the code (store/byid.go); this keeps
-- the blind spot small for the rest. Autovacuum re-analyses a table after 10 % of its
-- rows changed by default, so in a big table a new tenant of up to 10 % of it stays
-- invisible; after 1 % it is seen. ANALYZE reads a fixed sample (30,000 rows at the
-- default statistics target), so analysing a big table more often is cheap.
ALTER TABLE contacts SET (autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE contact_keys SET (autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE contact_terms SET (autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE comments SET (autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE merges SET (autovacuum_analyze_scale_factor = 0.01);

-- +goose Down
ALTER TABLE contacts RESET (autovacuum_analyze_scale_factor);
ALTER TABLE contact_keys RESET (autovacuum_analyze_scale_factor);
ALTER TABLE contact_terms RESET (autovacuum_analyze_scale_factor);
ALTER TABLE comments RESET (autovacuum_analyze_scale_factor);
ALTER TABLE merges RESET (autovacuum_analyze_scale_factor);
