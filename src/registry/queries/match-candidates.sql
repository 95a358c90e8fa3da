-- Each demand's (a plan's slot or a need's) candidates, current or as of log position $1: the
-- offers passing every hard filter, cut per demand to those that can rank among its best $19,
-- each with what scoring needs (its holds, its unit's area and record). See docs/matching.md,
-- "The candidate query".
--
-- Demands arrive as parallel arrays ($2..$12): an index, the category (and its subtree's bounds
-- in byte order), the window and its bounds in week positions, the place served, a unit to leave
-- out (the needing unit) and the quantity still wanted. $13..$16 bound the month and the recent
-- days the units' records count; $17 holds the weights in factor order, $18 the tuning
-- (busy_commitments, received_for_full_nudge). $20 holds each demand's measure (beside $2..$12);
-- $21 is the time asked (now, or the recorded time of position $1): an offer expired by then is
-- no candidate.
--
-- The planner cannot estimate how many offers cover a window (it guesses a handful; the answer
-- is hundreds a demand), so nothing after the index scan is a join it could choose badly: units'
-- records reach their hits through a window over each unit, the cut is a window over each demand.
WITH demand AS MATERIALIZED (
    -- With the service areas that include the place: the place itself and every area above it.
    SELECT d.*, ARRAY(SELECT array_to_string(p[1:i], '/') FROM generate_subscripts(p, 1) AS i)
                || d.place AS served_from
    FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                $7::timestamptz[], $8::int8[], $9::int8[], $10::text[], $11::uuid[], $12::int[],
                $20::text[])
        AS d (demand, category, low, high, s, e, ws, we, place, excluded, wanted, measure),
         string_to_array(d.place, '/') AS p
), hit AS MATERIALIZED (
    -- The exact availability index: a row matches only if one of the offer's ranges covers the
    -- window (registry.read.windows), so no candidate is fetched to be thrown away. Lone ranges
    -- and weekly runs have an index each (a lone range's unbounded week would blur the weekly
    -- runs' keys): the two halves differ in their last line only. [category, high), the window
    -- and the measure are what the indexes use; the first line after them keeps the code itself and its descendants
    -- ("repair-x" sorts inside the range too). The other filters test the lateral's rows against
    -- their own demand directly: joined back to `demand` by index, PostgreSQL hashed each
    -- demand's rows and probed them with all 30 demands (a third of the query's time).
    SELECT d.demand, d.category AS wanted_category, d.s, d.e, d.place, d.wanted,
           w.offer_id, w.unit_id, w.category, w.capacity, w.span_seconds,
           -- A hold in the window makes what is left a peak-load question: Python answers it.
           w.held && tstzrange(d.s, d.e) AS held
    FROM demand AS d CROSS JOIN LATERAL (
        SELECT * FROM registry_read.offer_windows AS w
        WHERE (($1::bigint IS NULL AND w.valid_to IS NULL)
               OR ($1::bigint IS NOT NULL AND int8range(w.valid_from, w.valid_to) @> $1::bigint))
          AND w.category >= d.category AND w.category < d.high AND w.term @> tstzrange(d.s, d.e)
          AND w.measure = d.measure AND lower_inf(w.week)
        UNION ALL
        SELECT * FROM registry_read.offer_windows AS w
        WHERE (($1::bigint IS NULL AND w.valid_to IS NULL)
               OR ($1::bigint IS NOT NULL AND int8range(w.valid_from, w.valid_to) @> $1::bigint))
          AND w.category >= d.category AND w.category < d.high AND w.term @> tstzrange(d.s, d.e)
          AND w.measure = d.measure AND NOT lower_inf(w.week) AND w.week @> int8range(d.ws, d.we)
    ) AS w
    WHERE (w.category = d.category OR w.category >= d.low)
      AND w.status = 'active'
      AND (w.expires_at IS NULL OR w.expires_at > $21::timestamptz)
      AND (d.excluded IS NULL OR w.unit_id <> d.excluded)
      AND (d.place IS NULL OR cardinality(w.service_area) = 0 OR w.service_area && d.served_from)
), unit_ids AS MATERIALIZED (
    SELECT coalesce(array_agg(DISTINCT unit_id), '{}') AS ids FROM hit
), live AS NOT MATERIALIZED (
    SELECT * FROM registry_read.commitments
    WHERE ($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)
), stream AS (
    -- The hits, their units' areas and the units' commitments (given by the unit, received by its
    -- needs) in one stream, so that a window over each unit spreads its record onto its hits.
    SELECT h.unit_id, 'hit' AS role, h.demand, h.wanted_category, h.s, h.e, h.place, h.wanted,
           h.offer_id, h.category, h.capacity, h.span_seconds, h.held,
           NULL AS area, NULL AS status, NULL AS declined_by, NULL::timestamptz AS starts_at,
           NULL::int AS quantity
    FROM hit AS h
    UNION ALL
    SELECT u.id, 'unit', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           u.area, NULL, NULL, NULL, NULL
    FROM registry_read.units AS u
    WHERE u.id = ANY ((SELECT ids FROM unit_ids)::uuid[])
      AND (($1::bigint IS NULL AND u.valid_to IS NULL)
           OR ($1::bigint IS NOT NULL AND int8range(u.valid_from, u.valid_to) @> $1::bigint))
    UNION ALL
    SELECT unit_id, 'given', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, status, declined_by, starts_at, quantity
    FROM live WHERE unit_id = ANY ((SELECT ids FROM unit_ids)::uuid[])
    UNION ALL
    SELECT need_unit_id, 'received', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, status, declined_by, starts_at, quantity
    FROM live WHERE need_unit_id = ANY ((SELECT ids FROM unit_ids)::uuid[])
), candidate AS (
    -- Each unit's record for scoring: fulfilled, declined (by the unit) and no-show commitments,
    -- its commitments in the demand's month [$13, $14), and the quantity its own needs received
    -- (confirmed or fulfilled) in [$15, $16).
    SELECT * FROM (
        SELECT x.*, max(x.area) OVER unit AS unit_area,
               -- In the order Python adds them.
               ($17::float8[])[1] + ($17::float8[])[2] + ($17::float8[])[3] + ($17::float8[])[4]
               + ($17::float8[])[5] + ($17::float8[])[6] + ($17::float8[])[7] AS total_weight,
               (count(*) FILTER (WHERE x.role = 'given' AND x.status = 'fulfilled') OVER unit)::int AS fulfilled,
               (count(*) FILTER (WHERE x.role = 'given' AND x.status = 'declined' AND x.declined_by = 'unit')
                    OVER unit)::int AS declined,
               (count(*) FILTER (WHERE x.role = 'given' AND x.status = 'no_show') OVER unit)::int AS no_shows,
               (count(*) FILTER (WHERE x.role = 'given' AND x.status IN ('proposed', 'claimed', 'confirmed', 'fulfilled')
                                   AND x.starts_at >= $13 AND x.starts_at < $14) OVER unit)::int AS committed_this_month,
               coalesce(sum(x.quantity) FILTER (WHERE x.role = 'received' AND x.status IN ('confirmed', 'fulfilled')
                                                  AND x.starts_at >= $15 AND x.starts_at < $16) OVER unit, 0)::int
                   AS received_recently
        FROM stream AS x WINDOW unit AS (PARTITION BY x.unit_id)
    ) AS spread
    WHERE role = 'hit'
), scored AS MATERIALIZED (
    -- The score registry.matching.scoring.assess gives an offer with no hold in the window
    -- (remaining = capacity), its factors in the order of $17.
    SELECT c.*,
           CASE WHEN c.total_weight <= 0 THEN 0.0
           ELSE (($17::float8[])[1] * power(0.5::float8,
                     (length(c.category) - length(replace(c.category, '.', '')))
                     - (length(c.wanted_category) - length(replace(c.wanted_category, '.', ''))))
                 + ($17::float8[])[2] * CASE WHEN c.span_seconds > 0
                       THEN least(extract(epoch FROM c.e - c.s)::float8 / c.span_seconds, 1.0) ELSE 0.0 END
                 + ($17::float8[])[3] * CASE WHEN c.wanted > 0
                       THEN least(c.capacity::float8 / c.wanted, 1.0) ELSE 1.0 END
                 + ($17::float8[])[4] * CASE
                       WHEN c.place IS NULL OR c.unit_area = c.place THEN 1.0
                       WHEN least(cardinality(c.m), cardinality(c.t)) >= 3 AND c.m[1:3] = c.t[1:3] THEN 1.0
                       WHEN least(cardinality(c.m), cardinality(c.t)) >= 2 AND c.m[1:2] = c.t[1:2] THEN 0.5
                       ELSE 0.0 END
                 + ($17::float8[])[5] * ((c.fulfilled + 1)::float8 / (c.fulfilled + c.declined + c.no_shows + 2))
                 + ($17::float8[])[6] * (1.0 - least(c.committed_this_month, ($18::int[])[1])::float8 / ($18::int[])[1])
                 + ($17::float8[])[7] * (least(c.received_recently, ($18::int[])[2])::float8 / ($18::int[])[2])
                ) / c.total_weight
           END AS raw_score
    FROM (SELECT x.*, string_to_array(x.unit_area, '/') AS m, string_to_array(x.place, '/') AS t
          FROM candidate AS x) AS c
), rounded AS (
    -- Python's round(score, 4) (in ten-thousandths), exactly: the score above is computed as
    -- Python computes it (the same operations in the same order, so the same double). A double
    -- lies exactly halfway between two four-place numbers only if 32 times it is odd: Python
    -- rounds those to even. Any other lies off halfway by more than its ten-thousandths' float
    -- error unless within 1e-9 of it: those few go to Python as they are.
    SELECT s.*,
           CASE WHEN s.raw_score * 32 = floor(s.raw_score * 32) AND floor(s.raw_score * 32)::int % 2 = 1
                THEN floor(s.raw_score * 10000) + floor(s.raw_score * 10000)::int % 2
                ELSE floor(s.raw_score * 10000 + 0.5) END AS score,
           NOT (s.raw_score * 32 = floor(s.raw_score * 32))
               AND abs(s.raw_score * 10000 - floor(s.raw_score * 10000) - 0.5) < 1e-9 AS near_boundary
    FROM scored AS s
), cut AS (
    -- Per demand, the best $19 offers with no hold in the window and a certain score, in the
    -- order registry.matching.scoring.ranked gives (score, then offer id): they are candidates
    -- for certain, so any other such offer ranks below $19 candidates. The rest (a hold in the
    -- window, a score near a boundary) go to Python as they are.
    SELECT r.*, row_number() OVER (PARTITION BY r.demand
                                   ORDER BY r.held, r.near_boundary, r.score DESC, r.offer_id) AS rank_in_demand
    FROM rounded AS r
)
SELECT k.demand, o.id, o.version, o.unit_id, o.category, o.title, o.capacity,
       o.hold_quantities, o.hold_starts, o.hold_ends, k.span_seconds AS covering_seconds,
       k.unit_area AS area, k.fulfilled, k.declined, k.no_shows, k.committed_this_month, k.received_recently
FROM cut AS k
JOIN registry_read.offers AS o
  ON o.id = k.offer_id
 AND (($1::bigint IS NULL AND o.valid_to IS NULL)
      OR ($1::bigint IS NOT NULL AND int8range(o.valid_from, o.valid_to) @> $1::bigint))
WHERE k.held OR k.near_boundary OR k.rank_in_demand <= $19
