-- A projection's checkpoint, locked for the transaction that moves it.
SELECT position, schema_hash FROM projection_checkpoints WHERE name = $1 FOR UPDATE
