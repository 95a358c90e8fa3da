-- The log head: last position and its hash.
SELECT position, hash FROM events_head WHERE singleton
