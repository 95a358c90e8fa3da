-- Move a projection's checkpoint (and record its schema), then tell waiters after commit.
UPDATE projection_checkpoints SET position = $2::bigint, schema_hash = $3, updated_at = now()
WHERE name = $1
RETURNING pg_notify('projection_checkpoints', $1 || ':' || $2::bigint::text)
