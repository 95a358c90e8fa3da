-- A page of stored rows in position order, as verify hashes them (see events.chain): the JSON
-- columns as their UTF-8 bytes, which spares Python decoding them only to encode them again,
-- and the time as its microseconds since the epoch in decimal. That goes through numeric, not
-- bigint, so that a time of infinity fails the hash check rather than the query.
SELECT position, event_id, stream_id, version, type, schema_version,
       trunc(extract(epoch FROM recorded_at) * 1000000)::text,
       convert_to(data::text, 'UTF8'), convert_to(metadata::text, 'UTF8'), hash
FROM events
WHERE position > $1
ORDER BY position
LIMIT $2
