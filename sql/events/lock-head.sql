-- Take the log head: serialises appends so positions follow commit order and hashes can chain.
-- The time is read after the lock is granted, so recorded_at rises with position.
SELECT position, hash, clock_timestamp() AS now FROM events_head FOR UPDATE
