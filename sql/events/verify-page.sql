-- A page of stored rows in position order, as verify recomputes them.
SELECT position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at, hash
FROM events
WHERE position > $1
ORDER BY position
LIMIT $2
