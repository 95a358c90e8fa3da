-- The current row of the token whose secret hashes to $1.
SELECT id, secret_hash, state FROM registry_read.tokens WHERE secret_hash = $1 AND valid_to IS NULL
