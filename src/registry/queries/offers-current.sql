-- The current rows of some offers entities: what a projection batch folds their next events into.
SELECT id, state, created_position, created_at FROM offers WHERE id = ANY ($1::uuid[]) AND valid_to IS NULL
