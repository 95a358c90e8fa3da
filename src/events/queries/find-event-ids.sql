-- Events already recorded with any of these ids.
SELECT event_id, stream_id, version, position FROM events WHERE event_id = ANY($1::uuid[])
