-- +goose Up
-- Indexes for GET /api/v1/contacts (issue 3). Pages are ordered by id, so every filter
-- is served by an index that either yields ids in order or yields few rows:
--   updated_since   -> contacts_tenant_updated (range scan, then a small top-N sort)
--   q (name prefix) -> one lower(...) text_pattern_ops index per searched column, which
--                      the planner combines with a BitmapOr per word
--   mail, term      -> contacts_tenant_mail and contact_terms_term from 00001
CREATE INDEX contacts_tenant_updated ON contacts (tenant_id, updated_at, id);
CREATE INDEX contacts_tenant_first_name_lower ON contacts (tenant_id, lower(first_name) text_pattern_ops);
CREATE INDEX contacts_tenant_family_name_lower ON contacts (tenant_id, lower(family_name) text_pattern_ops);
CREATE INDEX contacts_tenant_company_lower ON contacts (tenant_id, lower(company) text_pattern_ops);

-- +goose Down
DROP INDEX contacts_tenant_company_lower;
DROP INDEX contacts_tenant_family_name_lower;
DROP INDEX contacts_tenant_first_name_lower;
DROP INDEX contacts_tenant_updated;
