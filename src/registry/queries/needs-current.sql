-- The current rows of some needs entities: what a projection batch folds their next events into.
SELECT id, state, created_position, created_at FROM needs WHERE id = ANY ($1::uuid[]) AND valid_to IS NULL
