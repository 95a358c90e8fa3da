-- A new page session for a token; sessions past the absolute limit ($3) are swept on the way.
WITH swept AS (DELETE FROM page_sessions WHERE created_at < now() - $3::interval)
INSERT INTO page_sessions (id_hash, token_id) VALUES ($1, $2)
