-- Lock the log head and read the touched streams' versions, in one round trip.
SELECT head_position, head_hash, now, stream_id, version FROM events_begin_append($1::text[])
