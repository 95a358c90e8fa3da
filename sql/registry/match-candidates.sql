-- The offers that pass every hard filter for each demand (a plan's slot or a need), current or
-- as of log position $1. Demands arrive as parallel arrays ($2..$9): an index, the category (and
-- its subtree's bounds in byte order), the window, the place served and a unit to leave out (the
-- needing unit). Remaining capacity in the window is judged by the caller from the holds.
SELECT d.demand, o.id, o.version, o.unit_id, u.area AS unit_area, o.category, o.state->>'title' AS title,
       o.capacity, o.hold_quantities, o.hold_starts, o.hold_ends,
       (SELECT extract(epoch FROM upper(r) - lower(r))::float8
          FROM unnest(o.available) AS r WHERE r @> tstzrange(d.s, d.e) LIMIT 1) AS covering_seconds
FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
            $8::text[], $9::uuid[]) AS d (demand, category, low, high, s, e, place, excluded)
JOIN registry_read.offers AS o
  ON (($1::bigint IS NULL AND o.valid_to IS NULL)
      OR ($1::bigint IS NOT NULL AND int8range(o.valid_from, o.valid_to) @> $1::bigint))
 AND o.status = 'active'
 AND (o.category = d.category OR (o.category >= d.low AND o.category < d.high))
 AND o.available @> tstzrange(d.s, d.e)
 AND (d.excluded IS NULL OR o.unit_id <> d.excluded)
 AND (d.place IS NULL OR cardinality(o.service_area) = 0
      OR EXISTS (SELECT 1 FROM unnest(o.service_area) AS a (area)
                 WHERE d.place = a.area OR starts_with(d.place, a.area || '/')))
JOIN registry_read.units AS u
  ON u.id = o.unit_id
 AND (($1::bigint IS NULL AND u.valid_to IS NULL)
      OR ($1::bigint IS NOT NULL AND int8range(u.valid_from, u.valid_to) @> $1::bigint))
