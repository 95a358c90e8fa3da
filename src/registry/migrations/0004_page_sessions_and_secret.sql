-- The pages' sessions and the registry's own secret: operational state, outside the log.
--
-- A page session is an opaque random id in an HttpOnly cookie; only its keyed hash (HMAC with the
-- registry's secret) is stored, so a copy of this table opens no session. A session ends at
-- sign-out, when its token is revoked (the lookup joins the token's current row), and when it has
-- been idle or alive too long (limits in the settings, judged by the database's clock).
CREATE TABLE page_sessions (
    id_hash      bytea       PRIMARY KEY,
    token_id     uuid        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz
);
CREATE INDEX page_sessions_created ON page_sessions (created_at);

-- The secret that signs the pages' CSRF tokens and keys the session hashes, when REGISTRY_SECRET
-- is not set and the registry runs on a database of its own choosing (DATABASE_URL): generated
-- once by the first process to start, so that every worker and host on this database agrees.
CREATE TABLE registry_secret (
    name       text        PRIMARY KEY,
    value      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE, DELETE ON page_sessions TO registry_app;
GRANT SELECT, INSERT ON registry_secret TO registry_app;
