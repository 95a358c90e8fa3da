-- The current row of the token whose secret hashes to $1: what authentication needs, no more.
SELECT id, secret_hash, revoked, state ->> 'role' AS role, (state ->> 'unit_id')::uuid AS unit_id
FROM registry_read.tokens WHERE secret_hash = $1 AND valid_to IS NULL
