-- Make sure a projection has its checkpoint row (new ones start at 0 with no schema yet).
INSERT INTO projection_checkpoints (name, position, schema_hash) VALUES ($1, 0, '')
ON CONFLICT (name) DO NOTHING
