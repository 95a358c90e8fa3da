-- A page of plans in the order drafted, current or as of a position, filtered.
SELECT doc, created_position FROM registry_read.plans
WHERE ((($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)))
  AND created_position > $2
  AND ($3::text IS NULL OR status = $3)
  AND ($4::text IS NULL OR area = $4 OR starts_with(area, $4 || '/'))
  AND ($5::text IS NULL OR strpos(search, $5) > 0)
ORDER BY created_position
LIMIT $6
