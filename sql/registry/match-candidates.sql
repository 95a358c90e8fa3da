-- The offers that pass every hard filter for each demand (a plan's slot or a need), current or
-- as of log position $1. Demands arrive as parallel arrays ($2..$9): an index, the category (and
-- its subtree's bounds in byte order), the window, the place served and a unit to leave out (the
-- needing unit), and the window folded onto the reference week ($10..$13, a second piece or
-- NULL). Remaining capacity in the window is judged by the caller from the holds.
SELECT d.demand, o.id, o.version, o.unit_id, o.category, o.title,
       o.capacity, o.hold_quantities, o.hold_starts, o.hold_ends,
       (SELECT extract(epoch FROM upper(r) - lower(r))::float8
          FROM unnest(o.available) AS r WHERE r @> tstzrange(d.s, d.e) LIMIT 1) AS covering_seconds
FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[],
            $8::text[], $9::uuid[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[],
            $13::timestamptz[])
     AS d (demand, category, low, high, s, e, place, excluded, w1s, w1e, w2s, w2e)
JOIN registry_read.offers AS o
  ON (($1::bigint IS NULL AND o.valid_to IS NULL)
      OR ($1::bigint IS NOT NULL AND int8range(o.valid_from, o.valid_to) @> $1::bigint))
 AND o.status = 'active'
 -- The range [category, high) is what the (category, available) index can use; the line after
 -- keeps it to the code itself and its descendants ("repair-x" sorts inside the range too).
 AND o.category >= d.category AND o.category < d.high
 AND (o.category = d.category OR o.category >= d.low)
 AND o.available @> tstzrange(d.s, d.e)
 -- Implied by the line above; there for the index (the window folded onto the reference week).
 AND o.week @> CASE WHEN d.w2s IS NULL THEN tstzmultirange(tstzrange(d.w1s, d.w1e))
                    ELSE tstzmultirange(tstzrange(d.w1s, d.w1e), tstzrange(d.w2s, d.w2e)) END
 AND (d.excluded IS NULL OR o.unit_id <> d.excluded)
 AND (d.place IS NULL OR cardinality(o.service_area) = 0
      OR EXISTS (SELECT 1 FROM unnest(o.service_area) AS a (area)
                 WHERE d.place = a.area OR starts_with(d.place, a.area || '/')))
