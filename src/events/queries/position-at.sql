-- The last position recorded at or before a moment (0 before the first event).
SELECT coalesce(max(position), 0) FROM events WHERE recorded_at <= $1
