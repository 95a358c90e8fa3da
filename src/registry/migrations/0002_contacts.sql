-- People's names and phone numbers (liaisons, contacts) live here, outside the log, so that they
-- can be erased on request (PIPL) without rewriting a hashed event. Events name a contact only
-- by its id; erasure empties the row and keeps the id, so history still replays ("erased").
CREATE TABLE contacts (
    id          uuid        PRIMARY KEY,
    unit_id     uuid        NOT NULL,
    name        text,
    phone       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    erased_at   timestamptz,
    CHECK ((erased_at IS NULL) = (name IS NOT NULL))
);
CREATE INDEX contacts_unit ON contacts (unit_id);
