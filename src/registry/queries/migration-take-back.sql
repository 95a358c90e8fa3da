-- A registry migration recorded in the one sequence used before the split: its row becomes the
-- registry's under its own number ($1 old, $2 new, $3 name, $4 component).
UPDATE schema_migrations SET component = $4, version = $2
WHERE component = 'events' AND version = $1 AND name = $3
