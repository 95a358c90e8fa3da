-- A GET by id in one round trip: the current token whose secret hashes to $3 (what
-- authentication needs, as token-by-secret.sql reads it) and, unless it is revoked, one
-- entity's document and version, current ($2 NULL) or as of log position $2, and the log's head
-- (an `as_of` past it is refused). No row: no such token.
SELECT t.id, t.secret_hash, t.revoked, t.state ->> 'role' AS role, (t.state ->> 'unit_id')::uuid AS unit_id,
       d.doc, d.version, (SELECT position FROM events_head WHERE singleton) AS head
FROM registry_read.tokens t
LEFT JOIN registry_read.needs d
  ON NOT t.revoked AND d.id = $1
  AND (($2::bigint IS NULL AND d.valid_to IS NULL)
       OR ($2::bigint IS NOT NULL AND int8range(d.valid_from, d.valid_to) @> $2::bigint))
WHERE t.secret_hash = $3 AND t.valid_to IS NULL
