-- The stored hash of one position (none if the log has no such position).
SELECT hash FROM events WHERE position = $1
