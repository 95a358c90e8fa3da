-- The areas of some units, current or as of log position $1.
SELECT id, area FROM registry_read.units
WHERE id = ANY($2::uuid[])
  AND (($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint))
