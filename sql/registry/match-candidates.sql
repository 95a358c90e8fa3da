-- Each demand's (a plan's slot or a need's) candidates, current or as of log position $1: the
-- offers passing every hard filter, each with what scoring needs (its holds, its unit's area and
-- record), cut per demand to those that can rank among its best $19 (registry.matching.board).
--
-- Demands arrive as parallel arrays ($2..$12): an index, the category (and its subtree's bounds
-- in byte order), the window and its bounds in week positions, the place served, a unit to leave
-- out (the needing unit) and the quantity still wanted. $13..$16 bound the month and the recent
-- days the units' records count; $17 the weights in factor order, $18 the tuning
-- (busy_commitments, received_for_full_nudge), $20 the cut's margin.
WITH demand AS (
    SELECT * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[],
                         $7::timestamptz[], $8::int8[], $9::int8[], $10::text[], $11::uuid[], $12::int[])
        AS d (demand, category, low, high, s, e, ws, we, place, excluded, wanted)
), hit AS (
    -- The exact availability index: a row matches only if one of the offer's ranges covers the
    -- window (registry.read.windows), so no candidate is fetched to be thrown away.
    SELECT d.demand, w.offer_id, w.unit_id, w.category, w.span_seconds
    FROM demand AS d
    JOIN registry_read.offer_windows AS w
      ON (($1::bigint IS NULL AND w.valid_to IS NULL)
          OR ($1::bigint IS NOT NULL AND int8range(w.valid_from, w.valid_to) @> $1::bigint))
     -- [category, high) is what the index can use; the line after keeps the code itself and its
     -- descendants ("repair-x" sorts inside the range too).
     AND w.category >= d.category AND w.category < d.high
     AND (w.category = d.category OR w.category >= d.low)
     AND w.term @> tstzrange(d.s, d.e)
     AND w.week @> int8range(d.ws, d.we)
     AND w.status = 'active'
     AND (d.excluded IS NULL OR w.unit_id <> d.excluded)
     AND (d.place IS NULL OR cardinality(w.service_area) = 0
          OR EXISTS (SELECT 1 FROM unnest(w.service_area) AS a (area)
                     WHERE d.place = a.area OR starts_with(d.place, a.area || '/')))
), unit AS (
    SELECT u.id AS unit_id, u.area FROM registry_read.units AS u
    WHERE u.id IN (SELECT unit_id FROM hit)
      AND (($1::bigint IS NULL AND u.valid_to IS NULL)
           OR ($1::bigint IS NOT NULL AND int8range(u.valid_from, u.valid_to) @> $1::bigint))
), live AS NOT MATERIALIZED (
    SELECT * FROM registry_read.commitments
    WHERE ($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)
), given AS (
    -- Each unit's record: fulfilled, declined (by the unit) and no-show commitments, and its
    -- commitments in the demand's month [$13, $14).
    SELECT unit_id,
           count(*) FILTER (WHERE status = 'fulfilled') AS fulfilled,
           count(*) FILTER (WHERE status = 'declined' AND declined_by = 'unit') AS declined,
           count(*) FILTER (WHERE status = 'no_show') AS no_shows,
           count(*) FILTER (WHERE status IN ('proposed', 'claimed', 'confirmed', 'fulfilled')
                              AND starts_at >= $13 AND starts_at < $14) AS committed_this_month
    FROM live WHERE unit_id IN (SELECT unit_id FROM unit) GROUP BY unit_id
), received AS (
    -- The quantity its own needs received (confirmed or fulfilled) in [$15, $16).
    SELECT need_unit_id AS unit_id, sum(quantity)::int AS received_recently
    FROM live
    WHERE need_unit_id IN (SELECT unit_id FROM unit) AND status IN ('confirmed', 'fulfilled')
      AND starts_at >= $15 AND starts_at < $16
    GROUP BY need_unit_id
), history AS (
    SELECT u.unit_id, u.area,
           coalesce(g.fulfilled, 0)::int AS fulfilled, coalesce(g.declined, 0)::int AS declined,
           coalesce(g.no_shows, 0)::int AS no_shows,
           coalesce(g.committed_this_month, 0)::int AS committed_this_month,
           coalesce(r.received_recently, 0) AS received_recently
    FROM unit AS u LEFT JOIN given AS g USING (unit_id) LEFT JOIN received AS r USING (unit_id)
), candidate AS (
    SELECT h.demand, o.id, o.version, o.unit_id, o.category, o.title, o.capacity,
           o.hold_quantities, o.hold_starts, o.hold_ends, h.span_seconds AS covering_seconds,
           u.area, u.fulfilled, u.declined, u.no_shows, u.committed_this_month, u.received_recently,
           -- A hold inside the window makes what is left a peak-load question: Python answers it.
           EXISTS (SELECT 1 FROM unnest(o.hold_starts, o.hold_ends) AS x (s, e)
                   WHERE x.s < d.e AND x.e > d.s) AS held,
           -- The score registry.matching.scoring.assess gives an offer with no hold in the window
           -- (remaining = capacity), the factors in the order of $17.
           CASE WHEN (SELECT sum(x) FROM unnest($17::float8[]) AS x) <= 0 THEN 0.0
           ELSE (($17::float8[])[1] * power(0.5::float8, (length(o.category) - length(replace(o.category, '.', '')))
                                            - (length(d.category) - length(replace(d.category, '.', ''))))
               + ($17::float8[])[2] * CASE WHEN h.span_seconds > 0
                              THEN least(extract(epoch FROM d.e - d.s)::float8 / h.span_seconds, 1.0)
                              ELSE 0.0 END
               + ($17::float8[])[3] * CASE WHEN d.wanted > 0 THEN least(o.capacity::float8 / d.wanted, 1.0) ELSE 1.0 END
               + ($17::float8[])[4] * (SELECT CASE WHEN d.place IS NULL THEN 1.0
                                       WHEN p.shared >= 3 OR (p.shared = p.mine AND p.shared = p.theirs) THEN 1.0
                                       WHEN p.shared >= 2 THEN 0.5 ELSE 0.0 END
                           FROM (SELECT cardinality(m) AS mine, cardinality(t) AS theirs,
                                        coalesce((SELECT min(i) - 1 FROM generate_series(1, least(cardinality(m), cardinality(t))) AS i
                                                  WHERE m[i] <> t[i]),
                                                 least(cardinality(m), cardinality(t))) AS shared
                                 FROM (SELECT string_to_array(u.area, '/') AS m,
                                              string_to_array(d.place, '/') AS t) AS split) AS p)
               + ($17::float8[])[5] * ((u.fulfilled + 1)::float8 / (u.fulfilled + u.declined + u.no_shows + 2))
               + ($17::float8[])[6] * (1.0 - least(u.committed_this_month, ($18::int[])[1])::float8 / ($18::int[])[1])
               + ($17::float8[])[7] * (least(u.received_recently, ($18::int[])[2])::float8 / ($18::int[])[2])
               ) / (SELECT sum(x) FROM unnest($17::float8[]) AS x)
           END AS prescore
    FROM hit AS h
    JOIN demand AS d USING (demand)
    JOIN registry_read.offers AS o
      ON o.id = h.offer_id
     AND (($1::bigint IS NULL AND o.valid_to IS NULL)
          OR ($1::bigint IS NOT NULL AND int8range(o.valid_from, o.valid_to) @> $1::bigint))
    JOIN history AS u ON u.unit_id = h.unit_id
), ranked AS (
    SELECT c.*, row_number() OVER (PARTITION BY c.demand ORDER BY c.held, c.prescore DESC) AS place
    FROM candidate AS c
), cut AS (
    -- The score of each demand's $19th best offer with no hold in the window: those are sure
    -- candidates, so nothing scoring below it (by more than the margin) can rank in the $19 best.
    SELECT demand, prescore AS threshold FROM ranked WHERE NOT held AND place = $19
)
SELECT r.demand, r.id, r.version, r.unit_id, r.category, r.title, r.capacity,
       r.hold_quantities, r.hold_starts, r.hold_ends, r.covering_seconds,
       r.area, r.fulfilled, r.declined, r.no_shows, r.committed_this_month, r.received_recently
FROM ranked AS r LEFT JOIN cut AS c USING (demand)
WHERE r.held OR c.threshold IS NULL OR r.prescore >= c.threshold - $20
