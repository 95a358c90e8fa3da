-- Start an append batch in one round trip: take the log head, then read the current version of
-- each stream the batch touches. In a VOLATILE function every statement takes a new snapshot,
-- so the versions are read after the head lock is granted, exactly as two separate statements
-- would read them: nothing committed before the lock can be missed.
CREATE FUNCTION events_begin_append(stream_ids text[])
RETURNS TABLE (head_position bigint, head_hash bytea, now timestamptz, stream_id text, version integer)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    locked_position bigint;
    locked_hash bytea;
    locked_at timestamptz;
BEGIN
    SELECT h.position, h.hash, clock_timestamp() INTO locked_position, locked_hash, locked_at
    FROM events_head h FOR UPDATE;
    RETURN QUERY
    SELECT locked_position, locked_hash, locked_at, s.id,
           coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = s.id), 0)
    FROM unnest(stream_ids) AS s (id);
END
$$;
