-- The log position the read model stands at, as read-position.sql reads it, and the rest of this
-- transaction's statements on generic plans (a current board's: registry.read.current). Always
-- one row, so the setting holds even before the first checkpoint.
SELECT (SELECT position FROM projection_checkpoints WHERE name = 'registry') AS position,
       set_config('plan_cache_mode', 'force_generic_plan', true) AS plan_cache_mode
