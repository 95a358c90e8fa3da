-- One stream's events from a version up to another, in order.
SELECT position, stream_id, version, type, data, metadata, recorded_at, hash, event_id, schema_version
FROM events
WHERE stream_id = $1 AND version >= $2 AND version <= $3
ORDER BY version
LIMIT $4
