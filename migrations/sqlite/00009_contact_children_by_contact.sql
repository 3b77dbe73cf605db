-- +goose Up
-- The same indexes as on PostgreSQL (see postgres/00009): SQLite's foreign key
-- actions look the children up by contact_id too, and the store's statements are the
-- same on both.
CREATE INDEX contact_terms_contact ON contact_terms (contact_id);
CREATE INDEX comments_contact_id ON comments (contact_id);

-- +goose Down
DROP INDEX comments_contact_id;
DROP INDEX contact_terms_contact;
