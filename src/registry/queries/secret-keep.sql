-- The registry's secret: the one kept already, or $1 kept now if none was (the first start wins).
WITH kept AS (
    INSERT INTO registry_secret (name, value) VALUES ('registry', $1) ON CONFLICT (name) DO NOTHING
    RETURNING value
)
SELECT value FROM kept UNION ALL SELECT value FROM registry_secret WHERE name = 'registry'
LIMIT 1
