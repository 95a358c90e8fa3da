-- The role the application works as: what the registry needs to serve, and nothing that could
-- rewrite the log. The application assumes it on every connection it opens (REGISTRY_DATABASE_ROLE,
-- see registry.settings), whatever role it logs in with; only migrations run as the owner.
--
-- registry_app is a member of events_writer, so it reads and appends the log (SELECT and INSERT
-- on events and events_idempotency; SELECT and UPDATE on the one row of events_head, which every
-- append locks and moves). Besides, it keeps the projection checkpoints, owns the read model's
-- schemas (the projection runner drops, creates and renames them when the read model's DDL
-- changes or a rebuild is swapped in) and owns contacts (erasure rewrites that table with VACUUM
-- FULL, which before PostgreSQL 17 only its owner may run; a non-owner's VACUUM is skipped with a
-- mere warning). It owns none of the log's tables, so it can neither change their rows nor
-- disable, drop or replace their triggers.

-- Roles are cluster-wide: the role may exist already (another database of this cluster, or a DBA
-- who made it beforehand for a migrator without CREATEROLE), or be made concurrently.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'registry_app') THEN
        CREATE ROLE registry_app NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

DO $$
BEGIN
    IF NOT pg_has_role('registry_app', 'events_writer', 'MEMBER') THEN
        GRANT events_writer TO registry_app;
    END IF;
    -- Giving a table or schema to registry_app needs the migrator to be able to become it; a
    -- superuser always can, and so can the role that made registry_app.
    IF NOT pg_has_role(current_user, 'registry_app', 'MEMBER') THEN
        GRANT registry_app TO CURRENT_USER;
    END IF;
EXCEPTION
    WHEN unique_violation THEN
        NULL;  -- the same membership granted by a concurrent migration of another database
    WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'role % cannot grant the roles registry_app needs: %', current_user, SQLERRM
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('As a superuser: GRANT events_writer TO registry_app; GRANT registry_app TO %I;',
                                current_user);
END
$$;

GRANT SELECT, INSERT, UPDATE ON projection_checkpoints TO registry_app;
-- Read-only: which migrations ran (readiness and diagnostics), never which will.
GRANT SELECT ON schema_migrations TO registry_app;

-- Giving a table away needs its new owner to have CREATE on the table's schema (a superuser is
-- not asked); registry_app makes nothing there, so it holds that privilege only meanwhile.
DO $$
DECLARE
    home text := (SELECT relnamespace::regnamespace::text FROM pg_class WHERE oid = 'contacts'::regclass);
    had_create boolean := has_schema_privilege('registry_app', home, 'CREATE');
BEGIN
    IF NOT had_create THEN
        EXECUTE format('GRANT CREATE ON SCHEMA %s TO registry_app', home);
    END IF;
    ALTER TABLE contacts OWNER TO registry_app;
    IF NOT had_create THEN
        EXECUTE format('REVOKE CREATE ON SCHEMA %s FROM registry_app', home);
    END IF;
END
$$;

-- A read model built before this migration belongs to whoever the application logged in as:
-- hand it (and any leftover rebuild or check schema) to registry_app, which keeps it from now on.
DO $$
DECLARE
    s text;
    t text;
BEGIN
    FOR s IN
        SELECT nspname FROM pg_namespace
        WHERE nspname = 'registry_read' OR nspname LIKE 'registry\_read\_\_%'
    LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO registry_app', s);
        -- The read model holds tables and their indexes only (sql/registry/read-model.sql); an
        -- index follows its table.
        FOR t IN
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = s AND c.relkind IN ('r', 'p')
        LOOP
            EXECUTE format('ALTER TABLE %I.%I OWNER TO registry_app', s, t);
        END LOOP;
    END LOOP;
END
$$;

-- Creating a schema, and renaming one, needs CREATE on the database. That privilege lives in the
-- cluster's catalog, not in the database: a database cloned from a template or restored from a
-- dump comes without it. So the owner of these functions (the migrator) creates and renames a
-- projection's schemas on the caller's behalf, owned by the role the caller acts as, which then
-- fills and drops them by its own right (events_drop_schema is unchanged).
CREATE FUNCTION events_create_schema_owned_by(name text, owner name) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- The caller says which role it acts as; its login must be able to become that role.
    IF NOT pg_has_role(session_user, owner, 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to create schema % owned by %', name, owner
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('CREATE SCHEMA %I AUTHORIZATION %I', name, owner);
END
$$;

CREATE FUNCTION events_rename_schema_owned_by(old_name text, new_name text, owner name) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Only a schema the caller could drop anyway: one whose owner's rights it has.
    IF NOT pg_has_role(session_user, owner, 'MEMBER') OR EXISTS (
        SELECT FROM pg_namespace WHERE nspname = old_name AND NOT pg_has_role(owner, nspowner, 'USAGE')
    ) THEN
        RAISE EXCEPTION 'permission denied to rename schema % as %', old_name, owner
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('ALTER SCHEMA %I RENAME TO %I', old_name, new_name);
END
$$;

REVOKE ALL ON FUNCTION events_create_schema_owned_by(text, name) FROM PUBLIC;
REVOKE ALL ON FUNCTION events_rename_schema_owned_by(text, text, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION events_create_schema_owned_by(text, name) TO registry_app;
GRANT EXECUTE ON FUNCTION events_rename_schema_owned_by(text, text, name) TO registry_app;

-- The functions the runner calls keep their names and arguments; they now pass on who calls.
CREATE OR REPLACE FUNCTION events_create_schema(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM events_create_schema_owned_by(name, current_user);
END
$$;

CREATE OR REPLACE FUNCTION events_rename_schema(old_name text, new_name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM events_rename_schema_owned_by(old_name, new_name, current_user);
END
$$;
