SELECT pg_advisory_unlock(hashtext('schema_migrations'))
