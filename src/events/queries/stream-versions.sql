-- Current version of each named stream (0 when it has no events), by index lookups.
SELECT s.stream_id,
       coalesce((SELECT max(e.version) FROM events e WHERE e.stream_id = s.stream_id), 0) AS version
FROM unnest($1::text[]) AS s (stream_id)
