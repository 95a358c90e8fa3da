-- One token's current document (no secret hash in it), or no row.
SELECT doc FROM registry_read.tokens
WHERE id = $1 AND valid_to IS NULL
