-- A page of offers in submission order, current or as of a position, filtered.
-- category takes descendants ($3 exactly, or within [$4, $5) in byte order); area means the
-- offer serves that place (a service area at or above it, or none at all); the window means
-- availability covers it entirely ($9, $10; $13, $14 are its bounds in week positions).
-- $15 is the time asked (now, or when position $1 was recorded): an offer whose expires_at has
-- passed by then is `expired` (unless withdrawn), whatever its stored status; `expired` says so.
-- A window without a text search is answered by offers-list-covering.sql instead, which pages
-- in the availability index itself (registry.read.queries chooses); this one reads every covering
-- offer by id, since the text is only in `offers`.
SELECT doc, created_position,
       status <> 'withdrawn' AND expires_at IS NOT NULL AND expires_at <= $15::timestamptz AS expired
FROM registry_read.offers
WHERE ((($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)))
  AND created_position > $2
  AND ($3::text IS NULL OR category = $3 OR (category >= $4 AND category < $5))
  AND ($6::uuid IS NULL OR unit_id = $6)
  AND ($7::text IS NULL
       OR ($7 = 'expired' AND status <> 'withdrawn' AND expires_at <= $15::timestamptz)
       OR ($7 <> 'expired' AND status = $7
           AND (status = 'withdrawn' OR expires_at IS NULL OR expires_at > $15::timestamptz)))
  AND ($8::text IS NULL OR cardinality(service_area) = 0
       OR EXISTS (SELECT 1 FROM unnest(service_area) AS a (area) WHERE $8 = a.area OR starts_with($8, a.area || '/')))
  -- The window through matching's exact availability index (read-model.sql, offer_windows):
  -- the offers whose availability covers it, found without walking the others (an array, so that
  -- the offers are then read by id: the planner cannot tell how few they are).
  -- Lone ranges and weekly runs have an index each (see read-model.sql): two halves, differing in
  -- their last line only.
  AND ($9::timestamptz IS NULL OR id = ANY (ARRAY(
        SELECT w.offer_id FROM registry_read.offer_windows AS w
        WHERE (($1::bigint IS NULL AND w.valid_to IS NULL)
               OR ($1::bigint IS NOT NULL AND int8range(w.valid_from, w.valid_to) @> $1::bigint))
          AND ($3::text IS NULL OR (w.category >= $3 AND w.category < $5 AND (w.category = $3 OR w.category >= $4)))
          AND ($7::text IS NULL OR $7 = 'expired' OR w.status = $7) AND w.term @> tstzrange($9, $10)
          AND lower_inf(w.week)
        UNION ALL
        SELECT w.offer_id FROM registry_read.offer_windows AS w
        WHERE (($1::bigint IS NULL AND w.valid_to IS NULL)
               OR ($1::bigint IS NOT NULL AND int8range(w.valid_from, w.valid_to) @> $1::bigint))
          AND ($3::text IS NULL OR (w.category >= $3 AND w.category < $5 AND (w.category = $3 OR w.category >= $4)))
          AND ($7::text IS NULL OR $7 = 'expired' OR w.status = $7) AND w.term @> tstzrange($9, $10)
          AND NOT lower_inf(w.week) AND w.week @> int8range($13, $14))))
  AND ($11::text IS NULL OR strpos(search, $11) > 0)
ORDER BY created_position
LIMIT $12
