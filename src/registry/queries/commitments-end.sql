-- End the current rows of some commitments entities, each at the position of the event that replaces it.
UPDATE commitments SET valid_to = ended.position
FROM unnest($1::uuid[], $2::bigint[]) AS ended (id, position)
WHERE commitments.id = ended.id AND commitments.valid_to IS NULL
