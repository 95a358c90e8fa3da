-- A plan's domain state and version, current ($2 NULL) or as of log position $2.
SELECT state, version FROM registry_read.plans
WHERE id = $1
  AND (($2::bigint IS NULL AND valid_to IS NULL)
       OR ($2::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $2::bigint))
