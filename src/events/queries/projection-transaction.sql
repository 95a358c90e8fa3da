-- Set up the rest of this transaction to write a projection's schema:
-- - unqualified names point at the schema (the live one, a rebuild's shadow, a check's scratch);
-- - the commit does not wait for its WAL to reach the disk: a read model is derived, and its
--   checkpoint moves in the same transaction, so a crash can only lose batches together with
--   their checkpoint, and the runner applies them again from the durable log. Waiting writes are
--   answered one fsync sooner;
-- - where the server has lz4, large values are compressed with it, several times faster both
--   ways than the default pglz.
SELECT set_config('search_path', quote_ident($1) || ', public', true),
       set_config('synchronous_commit', 'off', true),
       set_config('default_toast_compression', CASE WHEN 'lz4' = ANY (enumvals) THEN 'lz4' ELSE setting END, true)
FROM pg_settings WHERE name = 'default_toast_compression'
