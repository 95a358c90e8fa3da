-- A projection's checkpoint, locked for the transaction that moves it, and the log's head as of
-- the statement's snapshot (taken before any wait for the lock, so it may be behind the
-- checkpoint found then): a live batch applies up to it without asking for it again.
SELECT c.position, c.schema_hash, (SELECT h.position FROM events_head h WHERE h.singleton) AS head
FROM projection_checkpoints c WHERE c.name = $1 FOR UPDATE OF c
