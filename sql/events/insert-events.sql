-- Insert a whole batch of events in one statement.
INSERT INTO events (position, event_id, stream_id, version, type, schema_version,
                    data, metadata, recorded_at, hash)
SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::integer[], $5::text[],
                     $6::integer[], $7::json[], $8::json[], $9::timestamptz[], $10::bytea[])
