-- Insert a whole batch of events, move the head to its last event and wake subscribers once
-- the transaction commits: one statement, one round trip.
WITH inserted AS (
    INSERT INTO events (position, event_id, stream_id, version, type, schema_version,
                        data, metadata, recorded_at, hash)
    SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::integer[], $5::text[],
                         $6::integer[], $7::json[], $8::json[], $9::timestamptz[], $10::bytea[])
    RETURNING 1
)
UPDATE events_head SET position = $11::bigint, hash = $12
WHERE singleton AND (SELECT count(*) FROM inserted) = cardinality($1::bigint[])
RETURNING events_head.position, pg_notify('events', $11::bigint::text)
