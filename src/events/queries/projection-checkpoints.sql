-- Checkpoints of the named projections (missing ones are simply absent).
SELECT name, position, schema_hash FROM projection_checkpoints WHERE name = ANY($1::text[])
