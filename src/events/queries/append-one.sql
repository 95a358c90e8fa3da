-- A whole append of one request in one statement (see events_append_one): its own implicit
-- transaction locks the head, checks, hashes, inserts, moves the head and notifies.
SELECT stream_positions, stream_versions, conflict, earlier_fingerprint, earlier_result
FROM events_append_one($1::text[], $2::integer[], $3::integer[], $4::uuid[], $5::text[],
                       $6::integer[], $7::text[], $8::text[], $9::text, $10::bytea)
