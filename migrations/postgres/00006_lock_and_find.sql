-- +goose Up
-- p_tenant_lock is the tenant id as the Go code narrows it to int4 for the lock.
-- One round trip for the write path's first step: take the tenant's shared ingest lock
-- and the blocking-key advisory locks (ids ascending, as given), then read the
-- contact_keys rows of p_keys. A VOLATILE function runs each query with a fresh
-- snapshot, so the read sees what the writers it waited for have committed.
-- +goose StatementBegin
CREATE FUNCTION contacthub_lock_and_find(p_tenant bigint, p_class int, p_tenant_lock int, p_locks bigint[], p_keys text[])
RETURNS TABLE (key text, contact_id bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(p_class, p_tenant_lock);
    PERFORM pg_advisory_xact_lock(l) FROM unnest(p_locks) AS l;
    RETURN QUERY
        SELECT ck.key, ck.contact_id
        FROM unnest(p_keys) AS u(k)
        CROSS JOIN LATERAL (
            SELECT c.key, c.contact_id FROM contact_keys c
            WHERE c.tenant_id = p_tenant AND c.key = u.k OFFSET 0) AS ck;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION contacthub_lock_and_find(bigint, int, int, bigint[], text[]);
