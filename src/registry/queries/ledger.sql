-- A unit's fulfilled commitments by month (Asia/Shanghai), given (its offers) and received (its
-- needs), current or as of log position $2. Figures are as corrected; the first correction of
-- a commitment keeps the figures as reported, summed beside them.
SELECT to_char(starts_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM') AS month,
       unit_id = $1 AS given,
       count(*) AS items, sum(quantity) AS quantity,
       sum(volunteer_hours) AS volunteer_hours, sum(people_served) AS people_served,
       sum(coalesce((state -> 'corrections' -> 0 ->> 'previous_volunteer_hours')::double precision,
                    volunteer_hours)) AS reported_volunteer_hours,
       sum(coalesce((state -> 'corrections' -> 0 ->> 'previous_people_served')::integer,
                    people_served))::bigint AS reported_people_served,
       count(*) FILTER (WHERE json_array_length(state -> 'corrections') > 0) AS corrections
FROM registry_read.commitments
WHERE (unit_id = $1 OR need_unit_id = $1)
  AND status = 'fulfilled'
  AND (($2::bigint IS NULL AND valid_to IS NULL)
       OR ($2::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $2::bigint))
GROUP BY 1, 2
ORDER BY 1, 2
