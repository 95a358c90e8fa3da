-- A page of needs in the order raised, current or as of a position, filtered.
SELECT doc, created_position FROM registry_read.needs
WHERE ((($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)))
  AND created_position > $2
  AND ($3::text IS NULL OR category = $3 OR (category >= $4 AND category < $5))
  AND ($6::uuid IS NULL OR unit_id = $6)
  AND ($7::text IS NULL OR status = $7)
  AND ($8::text IS NULL OR strpos(search, $8) > 0)
ORDER BY created_position
LIMIT $9
