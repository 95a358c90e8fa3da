-- What a page of the timeline names, in one round trip: the tokens, units, offers, needs, plans and
-- commitments its events mention, as of log position $1 (NULL: current). Commitments and tokens
-- bring the units, offers, plans and needs they point at, so their sentences can name them too.
WITH c AS (
    SELECT id, doc FROM registry_read.commitments
    WHERE id = ANY ($7::uuid[])
      AND (($1::bigint IS NULL AND valid_to IS NULL)
           OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint))
), t AS (
    SELECT id, doc FROM registry_read.tokens
    WHERE id = ANY ($2::uuid[])
      AND (($1::bigint IS NULL AND valid_to IS NULL)
           OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint))
), unit_ids AS (
    SELECT unnest($3::uuid[]) AS id
    UNION SELECT (doc ->> 'unit_id')::uuid FROM c
    UNION SELECT (doc ->> 'need_unit_id')::uuid FROM c
    UNION SELECT (doc ->> 'unit_id')::uuid FROM t
), offer_ids AS (
    SELECT unnest($4::uuid[]) AS id UNION SELECT (doc ->> 'offer_id')::uuid FROM c
), need_ids AS (
    SELECT unnest($5::uuid[]) AS id UNION SELECT (doc ->> 'need_id')::uuid FROM c
), plan_ids AS (
    SELECT unnest($6::uuid[]) AS id UNION SELECT (doc ->> 'plan_id')::uuid FROM c
)
SELECT 'commitment' AS kind, id, doc::text AS doc FROM c
UNION ALL SELECT 'token', id, doc::text FROM t
UNION ALL
SELECT 'unit', id, doc::text FROM registry_read.units
WHERE id IN (SELECT id FROM unit_ids)
  AND (($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint))
UNION ALL
SELECT 'offer', id, doc::text FROM registry_read.offers
WHERE id IN (SELECT id FROM offer_ids)
  AND (($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint))
UNION ALL
SELECT 'need', id, doc::text FROM registry_read.needs
WHERE id IN (SELECT id FROM need_ids)
  AND (($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint))
UNION ALL
SELECT 'plan', id, doc::text FROM registry_read.plans
WHERE id IN (SELECT id FROM plan_ids)
  AND (($1::bigint IS NULL AND valid_to IS NULL)
       OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint))
