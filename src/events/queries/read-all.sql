-- A page of the log after a position, optionally narrowed by stream prefix, types, actor and time.
SELECT position, stream_id, version, type, data, metadata, recorded_at, hash, event_id, schema_version
FROM events
WHERE position > $1
  AND position <= $2
  AND ($3::text IS NULL OR starts_with(stream_id, $3))
  AND ($4::text[] IS NULL OR type = ANY ($4))
  AND ($5::timestamptz IS NULL OR recorded_at >= $5)
  AND ($6::timestamptz IS NULL OR recorded_at < $6)
  AND ($7::text IS NULL OR metadata ->> 'actor' = $7)
ORDER BY position
LIMIT $8
