-- The registry's read model, kept by one projection in its own schema (named by the runner).
--
-- Every table is system-versioned by log position: a row holds from valid_from (the position of
-- the event that made it) until valid_to (the position that replaced it; NULL while current).
-- "Current" reads use the partial indexes WHERE valid_to IS NULL; "as of p" reads use the GiST
-- index on int8range(valid_from, valid_to). `state` is the domain state the projection folds
-- events into; `doc` is the JSON document a GET returns as it is.

CREATE TABLE units (
    id               uuid        NOT NULL,
    version          integer     NOT NULL,
    created_position bigint      NOT NULL,
    kind             text        NOT NULL,
    area             text        COLLATE "C" NOT NULL,
    search           text        NOT NULL,
    state            json        NOT NULL,
    doc              json        NOT NULL,
    created_at       timestamptz NOT NULL,
    valid_from       bigint      NOT NULL,
    valid_to         bigint,
    PRIMARY KEY (id, valid_from)
);
CREATE UNIQUE INDEX units_current ON units (id) WHERE valid_to IS NULL;
CREATE INDEX units_current_order ON units (created_position) WHERE valid_to IS NULL;
CREATE INDEX units_as_of ON units USING gist (int8range(valid_from, valid_to));
-- "As of" lists walk every version in creation order (the partial one holds current rows only).
CREATE INDEX units_all_order ON units (created_position);

CREATE TABLE offers (
    id               uuid        NOT NULL,
    version          integer     NOT NULL,
    created_position bigint      NOT NULL,
    unit_id          uuid        NOT NULL,
    category         text        COLLATE "C" NOT NULL,
    title            text        NOT NULL,
    status           text        NOT NULL,
    service_area     text[]      NOT NULL,
    -- Availability is indexed in offer_windows (below); the document carries the windows.
    -- Capacity and the commitments' holds on it (parallel arrays), for matching in one read.
    capacity         integer     NOT NULL,
    -- When it expires (the end of valid_until, Asia/Shanghai; NULL: never). Expiry is derived
    -- from the time a read asks about, so it is never written as a status.
    expires_at       timestamptz,
    hold_quantities  integer[]   NOT NULL,
    hold_starts      timestamptz[] NOT NULL,
    hold_ends        timestamptz[] NOT NULL,
    search           text        NOT NULL,
    state            json        NOT NULL,
    doc              json        NOT NULL,
    created_at       timestamptz NOT NULL,
    valid_from       bigint      NOT NULL,
    valid_to         bigint,
    PRIMARY KEY (id, valid_from)
);
CREATE UNIQUE INDEX offers_current ON offers (id) WHERE valid_to IS NULL;
CREATE INDEX offers_current_order ON offers (created_position) WHERE valid_to IS NULL;
CREATE INDEX offers_current_category ON offers (category, created_position) WHERE valid_to IS NULL;
CREATE INDEX offers_current_unit ON offers (unit_id, created_position) WHERE valid_to IS NULL;
-- The next expiry among the current offers: how long a cached page of the offer list holds
-- (registry.edge.page_cache). Withdrawn offers never expire.
CREATE INDEX offers_current_expiry ON offers (expires_at) WHERE valid_to IS NULL AND status <> 'withdrawn';
CREATE INDEX offers_as_of ON offers USING gist (int8range(valid_from, valid_to));
CREATE INDEX offers_all_order ON offers (created_position);

-- Matching's exact availability index (registry.read.windows): per offer, its availability as
-- runs of equal ranges one week apart. A demand window [s, e) lies inside one of the offer's
-- ranges exactly when some row's term contains it and its week contains
-- [pos(s), pos(s) + (e - s)) (pos: microseconds into the reference week). With the hard filters'
-- columns and what ranking needs, matching ranks every candidate before it reads `offers`. Rows
-- are rewritten only when one of their columns changes (not on a title or a description).
CREATE TABLE offer_windows (
    offer_id         uuid        NOT NULL,
    -- The offer's: the order (and cursor) of the offer list, which pages through these rows.
    created_position bigint      NOT NULL,
    unit_id          uuid        NOT NULL,
    category         text        COLLATE "C" NOT NULL,
    status           text        NOT NULL,
    service_area     text[]      NOT NULL,
    capacity         integer     NOT NULL,
    -- What the capacity counts (people, booths …): a demand pairs only with its own measure.
    measure          text        NOT NULL,
    -- When the offer expires (NULL: never): a read compares it with the time it asks about.
    expires_at       timestamptz,
    -- The union of the holds' windows: a window it does not touch has the whole capacity left.
    held             tstzmultirange NOT NULL,
    -- From the run's first range's start to its last one's end.
    term             tstzrange   NOT NULL,
    -- Where each range of the run lies in the week; unbounded for a lone range.
    week             int8range   NOT NULL,
    -- The length of one range: what time_coverage divides by.
    span_seconds     float8      NOT NULL,
    valid_from       bigint      NOT NULL,
    valid_to         bigint
);
CREATE INDEX offer_windows_current ON offer_windows (offer_id) WHERE valid_to IS NULL;
-- Lone ranges (unbounded week) and weekly runs apart: mixed, a lone range's week would widen every
-- key above it to everything, and the weekly runs' months-long terms would do the same to terms.
-- They carry what matching reads of a row, so the scan needs no heap (where the page is
-- all-visible). created_position lets the offer list walk the hits in creation order
-- (ORDER BY created_position <-> cursor: btree_gist's distance) and stop at a page. measure,
-- last, lets matching's scan drop the other measures' rows itself (five in six in the bench)
-- instead of handing them on to be filtered; last, so the tree is still split by what the list
-- asks too (first, it cut matching's pages by a tenth and added a fifth to two thirds to a
-- list page's).
CREATE INDEX offer_windows_current_lone ON offer_windows USING gist (category, term, created_position, measure)
    INCLUDE (offer_id, unit_id, status, service_area, capacity, expires_at, held, week, span_seconds)
    WHERE valid_to IS NULL AND lower_inf(week);
CREATE INDEX offer_windows_current_weekly ON offer_windows USING gist (category, week, term, created_position, measure)
    INCLUDE (offer_id, unit_id, status, service_area, capacity, expires_at, held, span_seconds)
    WHERE valid_to IS NULL AND NOT lower_inf(week);
-- Every version, for "as of" reads, split the same way (one index for both made each lone half
-- scan every weekly run of the category whose term holds the window); measure as above, which
-- here also spares the heap look-up of each other measure's row.
CREATE INDEX offer_windows_as_of_lone ON offer_windows
    USING gist (category, term, int8range(valid_from, valid_to), created_position, measure) WHERE lower_inf(week);
CREATE INDEX offer_windows_as_of_weekly ON offer_windows
    USING gist (category, week, term, int8range(valid_from, valid_to), created_position, measure)
    WHERE NOT lower_inf(week);

CREATE TABLE needs (
    id               uuid        NOT NULL,
    version          integer     NOT NULL,
    created_position bigint      NOT NULL,
    unit_id          uuid        NOT NULL,
    category         text        COLLATE "C" NOT NULL,
    status           text        NOT NULL,
    search           text        NOT NULL,
    state            json        NOT NULL,
    doc              json        NOT NULL,
    created_at       timestamptz NOT NULL,
    valid_from       bigint      NOT NULL,
    valid_to         bigint,
    PRIMARY KEY (id, valid_from)
);
CREATE UNIQUE INDEX needs_current ON needs (id) WHERE valid_to IS NULL;
CREATE INDEX needs_current_order ON needs (created_position) WHERE valid_to IS NULL;
CREATE INDEX needs_as_of ON needs USING gist (int8range(valid_from, valid_to));
CREATE INDEX needs_all_order ON needs (created_position);

CREATE TABLE plans (
    id               uuid        NOT NULL,
    version          integer     NOT NULL,
    created_position bigint      NOT NULL,
    status           text        NOT NULL,
    area             text        COLLATE "C" NOT NULL,
    search           text        NOT NULL,
    state            json        NOT NULL,
    doc              json        NOT NULL,
    created_at       timestamptz NOT NULL,
    valid_from       bigint      NOT NULL,
    valid_to         bigint,
    PRIMARY KEY (id, valid_from)
);
CREATE UNIQUE INDEX plans_current ON plans (id) WHERE valid_to IS NULL;
CREATE INDEX plans_current_order ON plans (created_position) WHERE valid_to IS NULL;
CREATE INDEX plans_as_of ON plans USING gist (int8range(valid_from, valid_to));
CREATE INDEX plans_all_order ON plans (created_position);

CREATE TABLE commitments (
    id               uuid        NOT NULL,
    version          integer     NOT NULL,
    created_position bigint      NOT NULL,
    unit_id          uuid        NOT NULL,
    offer_id         uuid        NOT NULL,
    plan_id          uuid,
    slot_id          uuid,
    need_id          uuid,
    need_unit_id     uuid,
    origin           text        NOT NULL,
    status           text        NOT NULL,
    declined_by      text,
    quantity         integer     NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    people_served    integer     NOT NULL,
    volunteer_hours  double precision NOT NULL,
    state            json        NOT NULL,
    doc              json        NOT NULL,
    created_at       timestamptz NOT NULL,
    valid_from       bigint      NOT NULL,
    valid_to         bigint,
    PRIMARY KEY (id, valid_from)
);
CREATE UNIQUE INDEX commitments_current ON commitments (id) WHERE valid_to IS NULL;
CREATE INDEX commitments_current_order ON commitments (created_position) WHERE valid_to IS NULL;
CREATE INDEX commitments_current_unit ON commitments (unit_id, starts_at) WHERE valid_to IS NULL;
CREATE INDEX commitments_current_need_unit ON commitments (need_unit_id, starts_at) WHERE valid_to IS NULL;
CREATE INDEX commitments_current_plan ON commitments (plan_id, created_position) WHERE valid_to IS NULL;
CREATE INDEX commitments_as_of ON commitments USING gist (int8range(valid_from, valid_to));
CREATE INDEX commitments_all_order ON commitments (created_position);

CREATE TABLE tokens (
    id               uuid        NOT NULL,
    version          integer     NOT NULL,
    created_position bigint      NOT NULL,
    secret_hash      text        NOT NULL,
    revoked          boolean     NOT NULL,
    state            json        NOT NULL,
    doc              json        NOT NULL,
    created_at       timestamptz NOT NULL,
    valid_from       bigint      NOT NULL,
    valid_to         bigint,
    PRIMARY KEY (id, valid_from)
);
CREATE UNIQUE INDEX tokens_current ON tokens (id) WHERE valid_to IS NULL;
CREATE INDEX tokens_current_secret ON tokens (secret_hash) WHERE valid_to IS NULL;
