-- Point unqualified names at a projection's schema for the rest of this transaction.
SELECT set_config('search_path', quote_ident($1) || ', public', true)
