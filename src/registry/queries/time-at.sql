-- The time log position $1 was recorded at: what a read "as of" that position asks about (NULL
-- before the first event).
SELECT recorded_at FROM events WHERE position <= $1 ORDER BY position DESC LIMIT 1
