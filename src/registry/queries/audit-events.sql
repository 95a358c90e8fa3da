-- A page of the log for auditors: positions after $1 up to $2 (the head the reader pinned), narrowed
-- by exact stream, stream prefix, types, actor and recording time [since, until); the payload and
-- metadata come back as the stored JSON text, the bytes the hash chain covers.
SELECT position, event_id, stream_id, version, type, schema_version, data, metadata, recorded_at, hash
FROM events
WHERE position > $1
  AND position <= $2
  AND ($3::text IS NULL OR stream_id = $3)
  AND ($4::text IS NULL OR starts_with(stream_id, $4))
  AND ($5::text[] IS NULL OR type = ANY ($5))
  AND ($6::timestamptz IS NULL OR recorded_at >= $6)
  AND ($7::timestamptz IS NULL OR recorded_at < $7)
  AND ($8::text IS NULL OR metadata ->> 'actor' = $8)
ORDER BY position
LIMIT $9
