-- +goose Up
-- contacthub_lock_and_find with a mode per key lock: p_shared[i] says whether
-- p_locks[i] is taken shared (pg_advisory_xact_lock_shared) or exclusive. The write
-- path locks only what its duplicate check needs (store/locks.go): exclusive the keys
-- that decide whether two submissions are one person, shared the others, so writers
-- that merely share a phone number or an address no longer wait for each other. The
-- locks are taken in the order given (ids ascending, one order for both modes: the
-- lock order of store/locks.go). contacthub_lock_and_find (00006) stays for replicas of
-- the previous version during a rolling update: its exclusive locks conflict with both
-- modes, so old and new writers still serialise where they must.
-- +goose StatementBegin
CREATE FUNCTION contacthub_lock_and_find_modes(p_tenant bigint, p_class int, p_tenant_lock int, p_locks bigint[], p_shared boolean[], p_keys text[])
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

-- +goose Down
DROP FUNCTION contacthub_lock_and_find_modes(bigint, int, int, bigint[], boolean[], text[]);
