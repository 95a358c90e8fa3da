-- Only one process migrates at a time; the others wait here, then find nothing left to do.
SELECT pg_advisory_lock(hashtext('schema_migrations'))
