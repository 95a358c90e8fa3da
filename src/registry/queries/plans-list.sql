-- A page of plans in the order drafted, current or as of a position, filtered; a category ($7,
-- with its descendants between $8 and $9) matches a plan with a slot of it.
SELECT doc, created_position FROM registry_read.plans
WHERE ((($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)))
  AND created_position > $2
  AND ($3::text IS NULL OR status = $3)
  AND ($4::text IS NULL OR area = $4 OR starts_with(area, $4 || '/'))
  AND ($5::text IS NULL OR strpos(search, $5) > 0)
  AND ($7::text IS NULL OR EXISTS (
        SELECT 1 FROM json_array_elements(doc -> 'slots') AS slot
        WHERE slot ->> 'category' = $7
           OR (slot ->> 'category' COLLATE "C" >= $8 AND slot ->> 'category' COLLATE "C" < $9)))
ORDER BY created_position
LIMIT $6
