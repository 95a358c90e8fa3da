-- End the current row of one commitments entity at a position; returns what the new row carries over.
UPDATE commitments SET valid_to = $2
WHERE id = $1 AND valid_to IS NULL
RETURNING state, created_position, created_at
