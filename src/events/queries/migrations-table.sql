-- The record of applied migrations, made on first use: one numbered sequence per component (the
-- event store's own, then each application's, applied after it).
CREATE TABLE IF NOT EXISTS schema_migrations (
    component   text        NOT NULL DEFAULT 'events',
    version     integer     NOT NULL,
    name        text        NOT NULL,
    checksum    text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
);
-- A record made before there were components numbered every migration in one sequence: its rows
-- become the event store's (an application then takes back its own, see registry.schema).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute
                   WHERE attrelid = 'schema_migrations'::regclass AND attname = 'component') THEN
        ALTER TABLE schema_migrations ADD COLUMN component text NOT NULL DEFAULT 'events';
        ALTER TABLE schema_migrations DROP CONSTRAINT schema_migrations_pkey;
        ALTER TABLE schema_migrations ADD PRIMARY KEY (component, version);
    END IF;
END
$$;
