-- Every statement finds the log head by its key. The head's one row moves with every append, and
-- now and then (when its page has no room left, say while an old snapshot keeps the dead
-- versions) it moves to a new page; the pages it left stay in the table, empty, because VACUUM
-- only cuts a table's empty tail and the live row sits at its end. A statement with no WHERE
-- scans the table, so every append read every such page: 252 of them after 550,000 appends, two
-- scans an append. By its key, an index scan reads the key's page and follows the row's chain.
--
-- The functions of migrations 0003 and 0005 are redefined from their stored definitions with
-- exactly these edits, each required to apply once, so this file does not repeat their bodies.
DO $migration$
DECLARE
    definition text;
    edit text[];
    edits constant text[][] := ARRAY[
        ['events_begin_append(text[])',
         'FROM events_head h FOR UPDATE', 'FROM events_head h WHERE h.singleton FOR UPDATE'],
        ['events_append_one(text[],integer[],integer[],uuid[],text[],integer[],text[],text[],text,bytea)',
         'SELECT (SELECT h.position FROM events_head h) AS head',
         'SELECT (SELECT h.position FROM events_head h WHERE h.singleton) AS head'],
        ['events_append_one(text[],integer[],integer[],uuid[],text[],integer[],text[],text[],text,bytea)',
         'WHERE h.position = f.position - 1', 'WHERE h.singleton AND h.position = f.position - 1'],
        ['events_append_one(text[],integer[],integer[],uuid[],text[],integer[],text[],text[],text,bytea)',
         'l.position <> (SELECT h.position FROM events_head h)',
         'l.position <> (SELECT h.position FROM events_head h WHERE h.singleton)'],
        ['events_append_one(text[],integer[],integer[],uuid[],text[],integer[],text[],text[],text,bytea)',
         'FROM (SELECT position, hash FROM events_head LIMIT 1 FOR UPDATE) AS l',
         'FROM (SELECT position, hash FROM events_head WHERE singleton FOR UPDATE) AS l'],
        ['events_append_one(text[],integer[],integer[],uuid[],text[],integer[],text[],text[],text,bytea)',
         'WHERE (SELECT count(*) FROM inserted) = cardinality(event_ids)',
         'WHERE singleton AND (SELECT count(*) FROM inserted) = cardinality(event_ids)']
    ];
BEGIN
    FOREACH edit SLICE 1 IN ARRAY edits LOOP
        definition := pg_get_functiondef(edit[1]::regprocedure);
        IF array_length(string_to_array(definition, edit[2]), 1) <> 2 THEN
            RAISE EXCEPTION 'migration 0006: % does not hold "%" exactly once', edit[1], edit[2];
        END IF;
        EXECUTE replace(definition, edit[2], edit[3]);
    END LOOP;
END
$migration$;
