-- A lone append of one event in one SQL statement. events_append_one (migration 0004) spends two
-- statements on every append: one that locks the head and reads, one that writes; PL/pgSQL pays
-- for each about as much as for a small insert. Most appends are one event to one stream, and
-- for those the head's UPDATE can take the lock itself, so the read, the checks, the hash, the
-- head, the row, the key and the notification fit in one statement:
--   * the stream's version, the key and the head are read with the statement's snapshot, and
--     the UPDATE moves the head only if the head it finds is the one that snapshot saw. A head
--     moved by an append that committed after the snapshot (or that held the lock while this one
--     waited) fails that condition when PostgreSQL re-checks it on the newest row, so nothing is
--     written on what a stale snapshot said; the time is then also read before any wait, and
--     that is harmless for the same reason: only an append that found the head free and current
--     writes, and every append before it committed before its snapshot was taken;
--   * the hash chains the head's over the record of events.chain.record_bytes, as in 0004;
--   * anything else — a condition that fails, a key used already, a head moved meanwhile, more
--     than one event — falls through to 0004's two statements, unchanged, which lock first and
--     judge under the lock: the rare cases pay a statement more, the common one none.
-- JIT is off: the planner knows nothing of events_head's one row and could think it worth it.
CREATE OR REPLACE FUNCTION events_append_one(
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
-- The plans of its statements do not depend on the values: plan them once per session.
SET plan_cache_mode = force_generic_plan
SET jit = off
AS $$
DECLARE
    written_version integer;
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
    IF cardinality(event_ids) = 1 THEN
        -- One event: written by this one statement if the snapshot's head is still the head.
        WITH seen AS MATERIALIZED (
            SELECT (SELECT h.position FROM events_head h) AS head, clock_timestamp() AS at,
                   coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = stream_ids[1]), 0) AS version,
                   EXISTS (SELECT FROM events_idempotency i WHERE i.key = idempotency_key) AS replay
        ), fields AS MATERIALIZED (
            SELECT sn.head + 1 AS position, sn.version + 1 AS version, sn.at,
                   convert_to((sn.head + 1)::text, 'UTF8') AS f_position,
                   convert_to(event_ids[1]::text, 'UTF8') AS f_id,
                   convert_to(stream_ids[1], 'UTF8') AS f_stream,
                   convert_to((sn.version + 1)::text, 'UTF8') AS f_version,
                   convert_to(types[1], 'UTF8') AS f_type,
                   convert_to(schema_versions[1]::text, 'UTF8') AS f_schema,
                   convert_to(trunc(extract(epoch FROM sn.at) * 1000000)::text, 'UTF8') AS f_at,
                   convert_to(data[1], 'UTF8') AS f_data,
                   convert_to(metadata[1], 'UTF8') AS f_metadata
            FROM seen sn
            WHERE NOT sn.replay
              AND (expected[1] = -1 OR (expected[1] = -2 AND sn.version = 0)
                   OR (expected[1] = -3 AND sn.version > 0) OR expected[1] = sn.version)
        ), moved AS (
            UPDATE events_head h
            SET position = f.position,
                hash = sha256(h.hash
                       || int4send(length(f.f_position)) || f.f_position
                       || int4send(length(f.f_id)) || f.f_id
                       || int4send(length(f.f_stream)) || f.f_stream
                       || int4send(length(f.f_version)) || f.f_version
                       || int4send(length(f.f_type)) || f.f_type
                       || int4send(length(f.f_schema)) || f.f_schema
                       || int4send(length(f.f_at)) || f.f_at
                       || int4send(length(f.f_data)) || f.f_data
                       || int4send(length(f.f_metadata)) || f.f_metadata)
            FROM fields f
            -- Re-checked on the newest row after a wait for the lock: false if the head moved.
            WHERE h.position = f.position - 1
            RETURNING h.position, h.hash, f.version, f.at, pg_notify('events', h.position::text)
        ), inserted AS (
            INSERT INTO events (position, event_id, stream_id, version, type, schema_version,
                                data, metadata, recorded_at, hash)
            SELECT m.position, event_ids[1], stream_ids[1], m.version, types[1], schema_versions[1],
                   data[1]::json, metadata[1]::json, m.at, m.hash
            FROM moved m
            RETURNING position, version, recorded_at
        ), kept AS (
            INSERT INTO events_idempotency (key, fingerprint, result, recorded_at)
            SELECT idempotency_key, fingerprint,
                   json_build_array(json_build_array(stream_ids[1], ins.position, ins.version)), ins.recorded_at
            FROM inserted ins
            WHERE idempotency_key IS NOT NULL
        )
        SELECT ins.position, ins.version INTO last_position, written_version FROM inserted ins;
        IF last_position IS NOT NULL THEN  -- else nothing was written: judge it under the lock
            stream_positions := ARRAY[last_position];
            stream_versions := ARRAY[written_version];
            RETURN;
        END IF;
    END IF;
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
