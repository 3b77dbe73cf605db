-- +goose Up
-- Bulk create writes ~10 blocking-key rows per contact; the foreign key's per-row check
-- (a FOR KEY SHARE lookup of the contact) was ~40% of that insert (issue 3,
-- BENCHMARKS.md). Nothing relies on its cascade: every path that deletes a contact
-- (DeleteContact, manual merge) deletes the contact's keys in the same transaction, and
-- candidate lookups ignore key rows whose contact does not exist.
ALTER TABLE contact_keys DROP CONSTRAINT contact_keys_contact_id_fkey;

-- +goose Down
ALTER TABLE contact_keys ADD CONSTRAINT contact_keys_contact_id_fkey
    FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE;
