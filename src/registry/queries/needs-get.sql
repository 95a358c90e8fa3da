-- One entity's document and version: current ($2 NULL) or as of log position $2.
SELECT doc, version FROM registry_read.needs
WHERE id = $1
  AND (($2::bigint IS NULL AND valid_to IS NULL)
       OR ($2::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $2::bigint))
