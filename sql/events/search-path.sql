-- Point unqualified names at a projection's schema for the rest of this transaction. Read models
-- are written and read often: where the server has lz4, their large values are compressed with
-- it, several times faster both ways than the default pglz.
SELECT set_config('search_path', quote_ident($1) || ', public', true),
       set_config('default_toast_compression', CASE WHEN 'lz4' = ANY (enumvals) THEN 'lz4' ELSE setting END, true)
FROM pg_settings WHERE name = 'default_toast_compression'
