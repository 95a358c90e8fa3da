-- The chain hash at a log position (NULL before the first event).
SELECT hash FROM events WHERE position = $1
