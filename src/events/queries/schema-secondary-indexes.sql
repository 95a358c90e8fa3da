-- The non-unique indexes of a schema's tables, as statements to drop them and to make them again:
-- a bulk load into a fresh schema builds each once at the end instead of entry by entry. Unique
-- indexes stay, for the lookups the load itself makes. Read outside the schema's search_path,
-- so the definitions name it.
SELECT format('DROP INDEX %I.%I', n.nspname, c.relname) AS drop_statement,
       pg_get_indexdef(i.indexrelid) AS create_statement
FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND NOT i.indisunique
ORDER BY c.relname
