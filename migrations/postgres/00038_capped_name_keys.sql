-- +goose Up
-- Blocking keys of version 2 (dedupe.KeyVersion) add "m:", both names alone, a key a
-- lookup ignores when more than dedupe.NameKeyCap (32) contacts share it. The lookup
-- reads at most 33 rows of such a key, here as in store.keyLookup, so that a common
-- name in a big tenant costs 33 index entries, not thousands.
--
-- contact_key_versions records how far each tenant's contacts are indexed with the
-- keys of a version: the reindex job (package keyindex) adds the kinds a version
-- added to the contacts written before it, from last_contact_id on.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contacthub_lock_and_find_modes(p_tenant bigint, p_class int, p_tenant_lock int, p_locks bigint[], p_shared boolean[], p_keys text[])
RETURNS TABLE (key text, contact_id bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(p_class, p_tenant_lock);
    FOR i IN 1 .. coalesce(array_length(p_locks, 1), 0) LOOP
        IF p_shared[i] THEN
            PERFORM pg_advisory_xact_lock_shared(p_locks[i]);
        ELSE
            PERFORM pg_advisory_xact_lock(p_locks[i]);
        END IF;
    END LOOP;
    RETURN QUERY
        SELECT ck.key, ck.contact_id
        FROM unnest(p_keys) AS u(k)
        CROSS JOIN LATERAL (
            SELECT c.key, c.contact_id FROM contact_keys c
            WHERE c.tenant_id = p_tenant AND c.key = u.k
            LIMIT CASE WHEN left(u.k, 2) = 'm:' THEN 33 END OFFSET 0) AS ck;
END
$$;
-- +goose StatementEnd

CREATE TABLE contact_key_versions (
    tenant_id       bigint PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    version         integer NOT NULL,
    from_version    integer NOT NULL,
    last_contact_id bigint NOT NULL DEFAULT 0,
    done            boolean NOT NULL DEFAULT false,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE contact_key_versions;
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION contacthub_lock_and_find_modes(p_tenant bigint, p_class int, p_tenant_lock int, p_locks bigint[], p_shared boolean[], p_keys text[])
RETURNS TABLE (key text, contact_id bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(p_class, p_tenant_lock);
    FOR i IN 1 .. coalesce(array_length(p_locks, 1), 0) LOOP
        IF p_shared[i] THEN
            PERFORM pg_advisory_xact_lock_shared(p_locks[i]);
        ELSE
            PERFORM pg_advisory_xact_lock(p_locks[i]);
        END IF;
    END LOOP;
    RETURN QUERY
        SELECT ck.key, ck.contact_id
        FROM unnest(p_keys) AS u(k)
        CROSS JOIN LATERAL (
            SELECT c.key, c.contact_id FROM contact_keys c
            WHERE c.tenant_id = p_tenant AND c.key = u.k OFFSET 0) AS ck;
END
$$;
-- +goose StatementEnd
