-- Remember the result of appends made with idempotency keys.
INSERT INTO events_idempotency (key, fingerprint, result, recorded_at)
SELECT k, f, r, $4 FROM unnest($1::text[], $2::bytea[], $3::json[]) AS t (k, f, r)
