-- End the current row of one tokens entity at a position; returns what the new row carries over.
UPDATE tokens SET valid_to = $2
WHERE id = $1 AND valid_to IS NULL
RETURNING state, created_position, created_at
