-- A need's domain state and version with its unit's area, current ($2 NULL) or as of position $2.
SELECT n.state, n.version, u.area
FROM registry_read.needs AS n
JOIN registry_read.units AS u
  ON u.id = n.unit_id
 AND (($2::bigint IS NULL AND u.valid_to IS NULL)
      OR ($2::bigint IS NOT NULL AND int8range(u.valid_from, u.valid_to) @> $2::bigint))
WHERE n.id = $1
  AND (($2::bigint IS NULL AND n.valid_to IS NULL)
       OR ($2::bigint IS NOT NULL AND int8range(n.valid_from, n.valid_to) @> $2::bigint))
