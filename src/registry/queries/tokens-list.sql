-- Every token, current, in the order issued (the coordinator's tokens page). No secret hash.
SELECT doc FROM registry_read.tokens
WHERE valid_to IS NULL
ORDER BY created_position
