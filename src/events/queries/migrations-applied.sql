-- The migrations of one component applied so far.
SELECT version, name, checksum, applied_at FROM schema_migrations WHERE component = $1 ORDER BY version
