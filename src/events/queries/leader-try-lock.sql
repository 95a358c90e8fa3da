-- Leadership of a projection runner: held for the life of the session that took it.
SELECT pg_try_advisory_lock(hashtext('projection-runner:' || $1))
