-- A unit's fulfilled commitments by month (Asia/Shanghai), given (its offers) and received (its
-- needs), current or as of log position $2.
SELECT to_char(starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
       unit_id = $1 AS given,
       count(*) AS items, sum(quantity) AS quantity,
       sum(volunteer_hours) AS volunteer_hours, sum(people_served) AS people_served
FROM registry_read.commitments
WHERE (unit_id = $1 OR need_unit_id = $1)
  AND status = 'fulfilled'
  AND (($2::bigint IS NULL AND valid_to IS NULL)
       OR ($2::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $2::bigint))
GROUP BY 1, 2
ORDER BY 1, 2
