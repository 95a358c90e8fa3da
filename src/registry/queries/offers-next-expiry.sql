-- The checkpoint of projection $1, and the first time after $2 at which a current offer expires
-- (NULL: none will): until then no offer's expiry changes any list's answer, so a cached page
-- read at $2 holds while the checkpoint stays (registry.edge.page_cache).
SELECT (SELECT position FROM projection_checkpoints WHERE name = $1) AS checkpoint,
       (SELECT min(expires_at) FROM registry_read.offers
        WHERE valid_to IS NULL AND status <> 'withdrawn' AND expires_at > $2::timestamptz) AS next_expiry
