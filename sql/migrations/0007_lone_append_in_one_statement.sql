-- A lone append in one statement. When the group-commit writer has a single request to write, a
-- batch's BEGIN, head lock, insert and COMMIT (four round trips, two of them only to open and
-- close the transaction) become one call in an implicit transaction, as cheap in round trips as
-- a bare INSERT. The guarantees are the batch's, kept the same way:
--   * the head row is locked first, so positions stay gap-free and in commit order;
--   * in a VOLATILE function every statement takes a new snapshot, so the idempotency key and the
--     stream versions are read after the lock is granted (nothing committed before it is missed);
--   * each hash chains the previous one over the record of events.chain.record_bytes, built here
--     with the expressions verify-page.sql hands to encoded_record: every field's UTF-8 bytes
--     behind their length as 4 big-endian bytes, numbers in decimal, the time as microseconds;
--   * NOTIFY is delivered only once the implicit transaction commits.
-- A condition that fails, or an idempotency key already used, writes nothing and is reported back
-- for the caller to turn into its error (or its replayed result).

-- One field of the hashed record: its length, then its UTF-8 bytes.
CREATE FUNCTION events_record_field(value text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN int4send(octet_length(convert_to(value, 'UTF8'))) || convert_to(value, 'UTF8');

-- expected: per stream, the exact version (>= 0), or -1 for ANY, -2 NO_STREAM, -3 STREAM_EXISTS.
-- event_streams: per event, the 1-based index of its stream in stream_ids (each stream's events
-- together, streams in order, as the batch writes them).
CREATE FUNCTION events_append_one(
    stream_ids text[], expected integer[], event_streams integer[], event_ids uuid[], types text[],
    schema_versions integer[], data text[], metadata text[], idempotency_key text, fingerprint bytea
)
RETURNS TABLE (
    stream_positions bigint[],          -- per stream: the position of its last event (written)
    stream_versions integer[],          -- per stream: its new version (written), or the actual
    conflict integer,                   -- the 1-based index of the first stream whose condition failed
    earlier_fingerprint bytea,          -- the key was used already: that append's fingerprint
    earlier_result text                 -- and its stored result
)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    at timestamptz;
    at_micros text;
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
    earlier events_idempotency%ROWTYPE;
BEGIN
    SELECT h.position, h.hash, clock_timestamp() INTO last_position, last_hash, at FROM events_head h FOR UPDATE;
    IF idempotency_key IS NOT NULL THEN
        SELECT * INTO earlier FROM events_idempotency i WHERE i.key = idempotency_key;
        IF FOUND THEN
            RETURN QUERY SELECT NULL::bigint[], NULL::integer[], NULL::integer, earlier.fingerprint,
                                earlier.result::text;
            RETURN;
        END IF;
    END IF;
    SELECT array_agg(coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = t.id), 0)
                     ORDER BY t.n)
    INTO versions FROM unnest(stream_ids) WITH ORDINALITY AS t (id, n);
    FOR s IN 1 .. cardinality(stream_ids) LOOP
        want := expected[s];
        IF NOT (want = -1 OR (want = -2 AND versions[s] = 0) OR (want = -3 AND versions[s] > 0)
                OR want = versions[s]) THEN
            RETURN QUERY SELECT NULL::bigint[], versions, s, NULL::bytea, NULL::text;
            RETURN;
        END IF;
    END LOOP;
    at_micros := trunc(extract(epoch FROM at) * 1000000)::text;
    FOR i IN 1 .. cardinality(event_ids) LOOP
        s := event_streams[i];
        last_position := last_position + 1;
        versions[s] := versions[s] + 1;
        positions[s] := last_position;
        last_hash := sha256(last_hash
            || events_record_field(last_position::text) || events_record_field(event_ids[i]::text)
            || events_record_field(stream_ids[s]) || events_record_field(versions[s]::text)
            || events_record_field(types[i]) || events_record_field(schema_versions[i]::text)
            || events_record_field(at_micros) || events_record_field(data[i])
            || events_record_field(metadata[i]));
        row_positions := row_positions || last_position;
        row_streams := row_streams || stream_ids[s];
        row_versions := row_versions || versions[s];
        row_hashes := row_hashes || last_hash;
    END LOOP;
    INSERT INTO events (position, event_id, stream_id, version, type, schema_version,
                        data, metadata, recorded_at, hash)
    SELECT p, e, st, v, ty, sv, d::json, m::json, at, h
    FROM unnest(row_positions, event_ids, row_streams, row_versions, types, schema_versions, data,
                metadata, row_hashes) AS r (p, e, st, v, ty, sv, d, m, h);
    UPDATE events_head SET position = last_position, hash = last_hash;
    IF idempotency_key IS NOT NULL THEN
        INSERT INTO events_idempotency (key, fingerprint, result, recorded_at)
        SELECT idempotency_key, fingerprint,
               json_agg(json_build_array(t.id, positions[t.n], versions[t.n]) ORDER BY t.n), at
        FROM unnest(stream_ids) WITH ORDINALITY AS t (id, n);
    END IF;
    PERFORM pg_notify('events', last_position::text);
    RETURN QUERY SELECT positions, versions, NULL::integer, NULL::bytea, NULL::text;
END
$$;
