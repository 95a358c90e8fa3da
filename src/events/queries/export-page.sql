-- A page of stored rows for an export: after a position, up to the head the export began at.
SELECT position, event_id, stream_id, version, type, schema_version, recorded_at, data, metadata, hash
FROM events
WHERE position > $1 AND position <= $2
ORDER BY position
LIMIT $3
