-- One event to one stream in one statement, sent as it is (no function around it): the common
-- lone append. The same statement as the first one of events_append_one (migration 0005), with
-- scalar parameters and the head found by its key:
--   * the stream's version, the key and the head are read with the statement's snapshot; the
--     head's UPDATE is the lock, and it moves the head only if the head it finds (re-checked on
--     the newest row after a wait for the lock) is the one that snapshot saw, so nothing is
--     written on a stale reading, and the time, read before any wait, still rises with position;
--   * the hash chains the head's over the record of events.chain.record_bytes, as in 0004;
--   * no row back means nothing was written (a failed condition, a used key, a moved head):
--     the caller then calls events_append_one, which judges under the lock.
-- `WHERE singleton`: an index scan of events_head's key follows the one live row's HOT chain,
-- where a sequential scan reads every page the head's updates ever spread over.
WITH seen AS MATERIALIZED (
    SELECT (SELECT h.position FROM events_head h WHERE h.singleton) AS head, clock_timestamp() AS at,
           coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = $1::text), 0) AS version,
           EXISTS (SELECT FROM events_idempotency i WHERE i.key = $8::text) AS replay
), fields AS MATERIALIZED (
    SELECT sn.head + 1 AS position, sn.version + 1 AS version, sn.at,
           convert_to((sn.head + 1)::text, 'UTF8') AS f_position,
           convert_to($3::uuid::text, 'UTF8') AS f_id,
           convert_to($1::text, 'UTF8') AS f_stream,
           convert_to((sn.version + 1)::text, 'UTF8') AS f_version,
           convert_to($4::text, 'UTF8') AS f_type,
           convert_to($5::integer::text, 'UTF8') AS f_schema,
           convert_to(trunc(extract(epoch FROM sn.at) * 1000000)::text, 'UTF8') AS f_at,
           convert_to($6::text, 'UTF8') AS f_data,
           convert_to($7::text, 'UTF8') AS f_metadata
    FROM seen sn
    WHERE NOT sn.replay
      -- -1 ANY, -2 NO_STREAM, -3 STREAM_EXISTS, else the exact version
      AND ($2::integer = -1 OR ($2::integer = -2 AND sn.version = 0)
           OR ($2::integer = -3 AND sn.version > 0) OR $2::integer = sn.version)
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
    WHERE h.singleton AND h.position = f.position - 1
    RETURNING h.position, h.hash, f.version, f.at, pg_notify('events', h.position::text)
), inserted AS (
    INSERT INTO events (position, event_id, stream_id, version, type, schema_version,
                        data, metadata, recorded_at, hash)
    SELECT m.position, $3::uuid, $1::text, m.version, $4::text, $5::integer,
           $6::text::json, $7::text::json, m.at, m.hash
    FROM moved m
    RETURNING position, version, recorded_at
), kept AS (
    INSERT INTO events_idempotency (key, fingerprint, result, recorded_at)
    SELECT $8::text, $9::bytea,
           json_build_array(json_build_array($1::text, ins.position, ins.version)), ins.recorded_at
    FROM inserted ins
    WHERE $8::text IS NOT NULL
)
SELECT position, version FROM inserted
