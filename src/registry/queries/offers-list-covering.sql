-- A page of offers whose availability covers a window, in submission order, current or as of a
-- position: what offers-list.sql answers for the same filters without a text search (`q` is not
-- in the index; registry.read.queries chooses). The offers are found, filtered, ordered and cut
-- to the page in matching's exact availability index (read-model.sql, offer_windows), whose rows
-- carry every column these filters read and the offer's created_position; only the page's
-- documents are then read. An offer has at most one row covering a non-empty window (its ranges
-- are disjoint, each in one run), so the page holds no offer twice.
--
-- $1 as of (NULL: current), $2 after (a created_position), $3 category (its subtree within
-- [$4, $5) in byte order), $6 unit, $7 status, $8 area, $9 and $10 the window ($12, $13 its bounds
-- in week positions), $11 the page's size, $14 the time asked (see offers-list.sql).
WITH w AS NOT MATERIALIZED (
    SELECT w.* FROM registry_read.offer_windows AS w
    WHERE (($1::bigint IS NULL AND w.valid_to IS NULL)
           OR ($1::bigint IS NOT NULL AND int8range(w.valid_from, w.valid_to) @> $1::bigint))
      AND w.created_position > $2
      AND ($3::text IS NULL OR (w.category >= $3 AND w.category < $5 AND (w.category = $3 OR w.category >= $4)))
      AND ($6::uuid IS NULL OR w.unit_id = $6)
      AND ($7::text IS NULL
           OR ($7 = 'expired' AND w.status <> 'withdrawn' AND w.expires_at <= $14::timestamptz)
           OR ($7 <> 'expired' AND w.status = $7
               AND (w.status = 'withdrawn' OR w.expires_at IS NULL OR w.expires_at > $14::timestamptz)))
      AND ($8::text IS NULL OR cardinality(w.service_area) = 0
           OR EXISTS (SELECT 1 FROM unnest(w.service_area) AS a (area)
                      WHERE $8 = a.area OR starts_with($8, a.area || '/')))
      AND w.term @> tstzrange($9, $10)
), hit AS (
    -- Lone ranges and weekly runs have an index each: each half walks its own in creation order
    -- (the distance from the cursor, every position being past it) and stops at a page.
    (SELECT offer_id, created_position FROM w WHERE lower_inf(week)
     ORDER BY created_position <-> $2 LIMIT $11)
    UNION ALL
    (SELECT offer_id, created_position FROM w WHERE NOT lower_inf(week) AND week @> int8range($12, $13)
     ORDER BY created_position <-> $2 LIMIT $11)
    ORDER BY created_position
    LIMIT $11
)
SELECT o.doc, o.created_position,
       o.status <> 'withdrawn' AND o.expires_at IS NOT NULL AND o.expires_at <= $14::timestamptz AS expired
FROM hit
JOIN registry_read.offers AS o
  ON o.id = hit.offer_id
 AND (($1::bigint IS NULL AND o.valid_to IS NULL)
      OR ($1::bigint IS NOT NULL AND int8range(o.valid_from, o.valid_to) @> $1::bigint))
ORDER BY hit.created_position
