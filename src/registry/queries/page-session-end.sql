-- Sign-out: the session ends now (the row stays until the sweep, so the id is never reused).
UPDATE page_sessions SET ended_at = now() WHERE id_hash = $1 AND ended_at IS NULL
