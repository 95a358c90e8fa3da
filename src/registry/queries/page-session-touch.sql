-- The actor of an open page session, in one round trip, its last use moved to now: none if the
-- session ended, was idle longer than $2, is older than $3, or its token is revoked.
UPDATE page_sessions AS s SET last_seen_at = now()
FROM registry_read.tokens AS t
WHERE s.id_hash = $1 AND s.ended_at IS NULL
  AND s.last_seen_at > now() - $2::interval AND s.created_at > now() - $3::interval
  AND t.id = s.token_id AND t.valid_to IS NULL AND NOT t.revoked
RETURNING t.id, t.state ->> 'role' AS role, (t.state ->> 'unit_id')::uuid AS unit_id
