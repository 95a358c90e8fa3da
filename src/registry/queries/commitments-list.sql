-- A page of commitments in the order made, current or as of a position, filtered.
SELECT doc, created_position FROM registry_read.commitments
WHERE ((($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)))
  AND created_position > $2
  AND ($3::uuid IS NULL OR unit_id = $3)
  AND ($4::uuid IS NULL OR offer_id = $4)
  AND ($5::uuid IS NULL OR plan_id = $5)
  AND ($6::uuid IS NULL OR need_id = $6)
  AND ($7::text IS NULL OR status = $7)
ORDER BY created_position
LIMIT $8
