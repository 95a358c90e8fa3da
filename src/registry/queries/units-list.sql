-- A page of units in registration order, current or as of a position, filtered.
-- Run with plan_cache_mode = force_custom_plan: the NULL tests fold away and indexes apply.
SELECT doc, created_position FROM registry_read.units
WHERE ((($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)))
  AND created_position > $2
  AND ($3::text IS NULL OR kind = $3)
  AND ($4::text IS NULL OR area = $4 OR starts_with(area, $4 || '/'))
  AND ($5::text IS NULL OR strpos(search, $5) > 0)
ORDER BY created_position
LIMIT $6
