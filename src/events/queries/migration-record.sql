-- Record one applied migration of a component.
INSERT INTO schema_migrations (component, version, name, checksum) VALUES ($4, $1, $2, $3)
