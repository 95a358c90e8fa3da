-- Appends already made with any of these idempotency keys.
SELECT key, fingerprint, result FROM events_idempotency WHERE key = ANY($1::text[])
