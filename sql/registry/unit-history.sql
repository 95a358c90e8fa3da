-- Each unit's record for scoring, current or as of log position $1: fulfilled, declined (by the
-- unit) and no-show commitments; commitments in [$3, $4) (the month); and the quantity its own
-- needs received (confirmed or fulfilled) in [$5, $6).
WITH live AS NOT MATERIALIZED (
    SELECT * FROM registry_read.commitments
    WHERE ($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)
), given AS (
    SELECT unit_id,
           count(*) FILTER (WHERE status = 'fulfilled') AS fulfilled,
           count(*) FILTER (WHERE status = 'declined' AND declined_by = 'unit') AS declined,
           count(*) FILTER (WHERE status = 'no_show') AS no_shows,
           count(*) FILTER (WHERE status IN ('proposed', 'claimed', 'confirmed', 'fulfilled')
                              AND starts_at >= $3 AND starts_at < $4) AS committed_this_month
    FROM live WHERE unit_id = ANY($2::uuid[]) GROUP BY unit_id
), received AS (
    SELECT need_unit_id AS unit_id, sum(quantity) AS received_recently
    FROM live
    WHERE need_unit_id = ANY($2::uuid[]) AND status IN ('confirmed', 'fulfilled')
      AND starts_at >= $5 AND starts_at < $6
    GROUP BY need_unit_id
)
SELECT coalesce(g.unit_id, r.unit_id) AS unit_id,
       coalesce(g.fulfilled, 0) AS fulfilled, coalesce(g.declined, 0) AS declined,
       coalesce(g.no_shows, 0) AS no_shows, coalesce(g.committed_this_month, 0) AS committed_this_month,
       coalesce(r.received_recently, 0) AS received_recently
FROM given AS g FULL JOIN received AS r ON r.unit_id = g.unit_id
