-- Schema housekeeping for projections. Each projection keeps its read model in a schema of its
-- own, so a rebuild can be made beside the live one and swapped in, and a check can compare the
-- two. Identifiers are quoted here with format('%I'), never pasted into SQL by the application.

CREATE FUNCTION events_create_schema(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('CREATE SCHEMA %I', name);
END
$$;

CREATE FUNCTION events_drop_schema(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP SCHEMA IF EXISTS %I CASCADE', name);
END
$$;

CREATE FUNCTION events_rename_schema(old_name text, new_name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('ALTER SCHEMA %I RENAME TO %I', old_name, new_name);
END
$$;

-- Tables of two schemas that differ: rows in one and not the other, counted with multiplicity.
-- Rows are compared as text so that every column type (json included) can be compared.
CREATE FUNCTION events_schema_differences(live text, candidate text)
RETURNS TABLE (table_name text, only_in_live bigint, only_in_candidate bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t text;
    a bigint;
    b bigint;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN (live, candidate) AND c.relkind IN ('r', 'p')
        GROUP BY c.relname ORDER BY c.relname
    LOOP
        IF to_regclass(format('%I.%I', live, t)) IS NULL THEN
            EXECUTE format('SELECT count(*) FROM %I.%I', candidate, t) INTO b;
            table_name := t; only_in_live := 0; only_in_candidate := b; RETURN NEXT;
            CONTINUE;
        END IF;
        IF to_regclass(format('%I.%I', candidate, t)) IS NULL THEN
            EXECUTE format('SELECT count(*) FROM %I.%I', live, t) INTO a;
            table_name := t; only_in_live := a; only_in_candidate := 0; RETURN NEXT;
            CONTINUE;
        END IF;
        EXECUTE format(
            'SELECT count(*) FROM (SELECT x::text FROM %1$I.%3$I x EXCEPT ALL SELECT y::text FROM %2$I.%3$I y) d',
            live, candidate, t) INTO a;
        EXECUTE format(
            'SELECT count(*) FROM (SELECT y::text FROM %2$I.%3$I y EXCEPT ALL SELECT x::text FROM %1$I.%3$I x) d',
            live, candidate, t) INTO b;
        IF a > 0 OR b > 0 THEN
            table_name := t; only_in_live := a; only_in_candidate := b; RETURN NEXT;
        END IF;
    END LOOP;
END
$$;
