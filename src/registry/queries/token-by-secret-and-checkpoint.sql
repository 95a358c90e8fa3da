-- What token-by-secret.sql reads, and the checkpoint of projection $2 in the same statement: a
-- cached list page answers only while the read model is where it was (registry.edge.page_cache).
SELECT id, secret_hash, revoked, state ->> 'role' AS role, (state ->> 'unit_id')::uuid AS unit_id,
       (SELECT position FROM projection_checkpoints WHERE name = $2) AS checkpoint
FROM registry_read.tokens WHERE secret_hash = $1 AND valid_to IS NULL
