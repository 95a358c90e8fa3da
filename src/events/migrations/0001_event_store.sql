-- The event store: an append-only log with gap-free positions and a SHA-256 hash chain.
--
-- Every append takes the single row of events_head FOR UPDATE, so appends are serialised in
-- one total order: the position of an event is assigned while the lock is held and the lock is
-- released only after commit, hence positions grow in commit order without holes, and each
-- event's hash can chain onto the previous one. Group commit (many appends in one transaction)
-- keeps that single lock from becoming the throughput limit.

CREATE TABLE events (
    position        bigint      PRIMARY KEY CHECK (position > 0),
    event_id        uuid        NOT NULL UNIQUE,
    stream_id       text        NOT NULL CHECK (stream_id <> '' AND length(stream_id) <= 200),
    version         integer     NOT NULL CHECK (version > 0),
    type            text        NOT NULL CHECK (type <> '' AND length(type) <= 200),
    schema_version  integer     NOT NULL CHECK (schema_version > 0),
    -- json (not jsonb) keeps the exact bytes that were hashed.
    data            json        NOT NULL,
    metadata        json        NOT NULL,
    recorded_at     timestamptz NOT NULL,
    hash            bytea       NOT NULL CHECK (length(hash) = 32),
    UNIQUE (stream_id, version)
);

CREATE INDEX events_type_position ON events (type, position);
CREATE INDEX events_recorded_at ON events (recorded_at);
CREATE INDEX events_stream_prefix ON events (stream_id text_pattern_ops, position);
CREATE INDEX events_actor ON events ((metadata ->> 'actor'), position);

-- The head of the log: last position and last hash. One row, locked by every append.
CREATE TABLE events_head (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    position    bigint  NOT NULL,
    hash        bytea   NOT NULL CHECK (length(hash) = 32)
);
INSERT INTO events_head (position, hash) VALUES (0, '\x0000000000000000000000000000000000000000000000000000000000000000');

-- The result of each append made with an idempotency key, so that a retry returns it.
CREATE TABLE events_idempotency (
    key             text        PRIMARY KEY CHECK (key <> '' AND length(key) <= 200),
    fingerprint     bytea       NOT NULL,
    result          json        NOT NULL,
    recorded_at     timestamptz NOT NULL
);

-- Append-only, enforced here rather than trusted to the code: UPDATE, DELETE and TRUNCATE raise.
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_idempotency_no_update_or_delete BEFORE UPDATE OR DELETE ON events_idempotency
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_idempotency_no_truncate BEFORE TRUNCATE ON events_idempotency
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- Privileges as a second wall: nobody but the owner may change rows, and events_writer (the role
-- an application should log in with) may only read and insert.
REVOKE ALL ON events, events_idempotency FROM PUBLIC;
DO $$
BEGIN
    CREATE ROLE events_writer NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- roles are cluster-wide: another database of this cluster made it already
END
$$;
GRANT SELECT, INSERT ON events, events_idempotency TO events_writer;
GRANT SELECT, UPDATE ON events_head TO events_writer;

-- Projections: one checkpoint per projection, moved in the same transaction as its read model.
CREATE TABLE projection_checkpoints (
    name        text        PRIMARY KEY,
    position    bigint      NOT NULL DEFAULT 0,
    schema_hash text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
