-- The next page of a projection's events and the log head it was read up to, in one statement:
-- the head (or $2, if lower) bounds the page, read in the same snapshot, so every event up to it
-- is there (the head moves in the transaction that appends). One row with NULL event columns
-- when no event of the projection's types ($3; NULL: all) lies between $1 and the head.
SELECT e.position, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at, e.hash,
       e.event_id, e.schema_version, h.head
FROM (SELECT LEAST(position, $2) AS head FROM events_head WHERE singleton) h
LEFT JOIN LATERAL (
    SELECT position, stream_id, version, type, data, metadata, recorded_at, hash, event_id, schema_version
    FROM events
    WHERE position > $1 AND position <= h.head AND ($3::text[] IS NULL OR type = ANY ($3))
    ORDER BY position
    LIMIT $4
) e ON true
