-- Tell every process that a projection's batch failed (a JSON Failure), so its waiters need not
-- wait for their timeout to learn it.
SELECT pg_notify('projection_failures', $1)
