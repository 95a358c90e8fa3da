-- A lone append in one statement. When the group-commit writer has a single request to write, a
-- batch's BEGIN, head lock, insert and COMMIT (four round trips) become one call in an implicit
-- transaction, as few round trips as a bare INSERT. The guarantees are the batch's, kept the
-- same way:
--   * the head row is locked first, so positions stay gap-free and in commit order, and the time
--     is read after the lock, so it rises with position;
--   * the stream versions and the idempotency key are read in the statement that takes the lock,
--     with that statement's snapshot, which may predate an append that committed while it waited.
--     Every append moves the head, so when the head that snapshot sees is the head locked, it
--     missed nothing; otherwise they are read again, by a new statement (a new snapshot) under
--     the lock;
--   * each hash chains the previous one over the record of events.chain.record_bytes, from the
--     fields verify-page.sql hands to encoded_record: each field's UTF-8 bytes behind their
--     length in 4 big-endian bytes, numbers in decimal, the time as microseconds since the epoch;
--   * NOTIFY is delivered when the implicit transaction commits.
-- A condition that fails, or a key used already, writes nothing and is reported back for the
-- caller to turn into its error (or to replay). Two statements do the work (PL/pgSQL pays for
-- each statement about as much as for a small insert): take the lock and read, then write.
--
-- expected: per stream, the exact version (>= 0), or -1 for ANY, -2 NO_STREAM, -3 STREAM_EXISTS.
-- event_streams: per event, the 1-based index of its stream in stream_ids (each stream's events
-- together, streams in order, as the batch path writes them).
CREATE FUNCTION events_append_one(
    stream_ids text[], expected integer[], event_streams integer[], event_ids uuid[], types text[],
    schema_versions integer[], data text[], metadata text[], idempotency_key text, fingerprint bytea,
    -- per stream: the position of its last event (when written)
    OUT stream_positions bigint[],
    -- per stream: its new version (written), or its actual one (a condition failed)
    OUT stream_versions integer[],
    -- the 1-based index of the first stream whose condition failed
    OUT conflict integer,
    -- the key was used already: that append's fingerprint and stored result
    OUT earlier_fingerprint bytea,
    OUT earlier_result text
)
LANGUAGE plpgsql VOLATILE
-- The plans of the two statements do not depend on the values: plan them once per session.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    at timestamptz;
    stale boolean;
    last_position bigint;
    last_hash bytea;
    versions integer[];
    positions bigint[] := array_fill(0::bigint, ARRAY[cardinality(stream_ids)]);
    row_positions bigint[] := '{}';
    row_versions integer[] := '{}';
    row_hashes bytea[] := '{}';
    row_streams text[] := '{}';
    s integer;
    want integer;
    -- The fields of the hashed record, as bytes (the length of a bytea counts bytes).
    field_at bytea;
    field_position bytea;
    field_id bytea;
    field_stream bytea;
    field_version bytea;
    field_type bytea;
    field_schema bytea;
    field_data bytea;
    field_metadata bytea;
BEGIN
    -- The time and the subqueries are evaluated above the locking scan: after the lock.
    SELECT l.position, l.hash, clock_timestamp(), l.position <> (SELECT h.position FROM events_head h),
           (SELECT array_agg(coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = t.id), 0)
                             ORDER BY t.n)
            FROM unnest(stream_ids) WITH ORDINALITY AS t (id, n)),
           i.fingerprint, i.result::text
    INTO last_position, last_hash, at, stale, versions, earlier_fingerprint, earlier_result
    FROM (SELECT position, hash FROM events_head LIMIT 1 FOR UPDATE) AS l
    LEFT JOIN events_idempotency i ON i.key = idempotency_key;
    IF stale THEN
        SELECT array_agg(coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = t.id), 0)
                         ORDER BY t.n),
               (SELECT i.fingerprint FROM events_idempotency i WHERE i.key = idempotency_key),
               (SELECT i.result::text FROM events_idempotency i WHERE i.key = idempotency_key)
        INTO versions, earlier_fingerprint, earlier_result
        FROM unnest(stream_ids) WITH ORDINALITY AS t (id, n);
    END IF;
    IF earlier_fingerprint IS NOT NULL THEN
        RETURN;
    END IF;
    FOR s IN 1 .. cardinality(stream_ids) LOOP
        want := expected[s];
        IF NOT (want = -1 OR (want = -2 AND versions[s] = 0) OR (want = -3 AND versions[s] > 0)
                OR want = versions[s]) THEN
            stream_versions := versions;
            conflict := s;
            RETURN;
        END IF;
    END LOOP;
    field_at := convert_to(trunc(extract(epoch FROM at) * 1000000)::text, 'UTF8');
    FOR i IN 1 .. cardinality(event_ids) LOOP
        s := event_streams[i];
        last_position := last_position + 1;
        versions[s] := versions[s] + 1;
        positions[s] := last_position;
        -- Written out rather than through a helper function: PL/pgSQL evaluates these as simple
        -- expressions, where each call of an SQL function costs ~15 us.
        field_position := convert_to(last_position::text, 'UTF8');
        field_id := convert_to(event_ids[i]::text, 'UTF8');
        field_stream := convert_to(stream_ids[s], 'UTF8');
        field_version := convert_to(versions[s]::text, 'UTF8');
        field_type := convert_to(types[i], 'UTF8');
        field_schema := convert_to(schema_versions[i]::text, 'UTF8');
        field_data := convert_to(data[i], 'UTF8');
        field_metadata := convert_to(metadata[i], 'UTF8');
        last_hash := sha256(last_hash
            || int4send(length(field_position)) || field_position
            || int4send(length(field_id)) || field_id
            || int4send(length(field_stream)) || field_stream
            || int4send(length(field_version)) || field_version
            || int4send(length(field_type)) || field_type
            || int4send(length(field_schema)) || field_schema
            || int4send(length(field_at)) || field_at
            || int4send(length(field_data)) || field_data
            || int4send(length(field_metadata)) || field_metadata);
        row_positions := row_positions || last_position;
        row_streams := row_streams || stream_ids[s];
        row_versions := row_versions || versions[s];
        row_hashes := row_hashes || last_hash;
    END LOOP;
    WITH inserted AS (
        INSERT INTO events (position, event_id, stream_id, version, type, schema_version,
                            data, metadata, recorded_at, hash)
        SELECT p, e, st, v, ty, sv, d::json, m::json, at, h
        FROM unnest(row_positions, event_ids, row_streams, row_versions, types, schema_versions,
                    data, metadata, row_hashes) AS r (p, e, st, v, ty, sv, d, m, h)
        RETURNING 1
    ), kept AS (
        INSERT INTO events_idempotency (key, fingerprint, result, recorded_at)
        SELECT idempotency_key, fingerprint,
               json_agg(json_build_array(t.id, positions[t.n], versions[t.n]) ORDER BY t.n), at
        FROM unnest(stream_ids) WITH ORDINALITY AS t (id, n)
        WHERE idempotency_key IS NOT NULL
        HAVING count(*) > 0
    )
    UPDATE events_head SET position = last_position, hash = last_hash
    WHERE (SELECT count(*) FROM inserted) = cardinality(event_ids)
    RETURNING pg_notify('events', last_position::text) IS NULL INTO STRICT stale;  -- no row: raise
    stream_positions := positions;
    stream_versions := versions;
END
$$;
