-- A projection's checkpoint, locked for the batch that moves it, with the rest of the
-- transaction set up to write the projection's schema ($2): projection-checkpoint-lock and
-- projection-transaction (which says why each setting) in one round trip. Under load each round
-- trip of the leader's batch waits for a backend and for the event loop, and every write waiting
-- on the batch waits with it. The settings are the transaction's whether or not the lock was
-- waited for; nothing here reads data, so the statement's snapshot does not matter.
SELECT c.position, c.schema_hash,
       set_config('search_path', quote_ident($2) || ', public', true),
       set_config('synchronous_commit', 'off', true),
       set_config('default_toast_compression', CASE WHEN 'lz4' = ANY (s.enumvals) THEN 'lz4' ELSE s.setting END, true)
FROM projection_checkpoints c, pg_settings s
WHERE c.name = $1 AND s.name = 'default_toast_compression'
FOR UPDATE OF c
