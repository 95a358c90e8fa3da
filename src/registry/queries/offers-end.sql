-- End the current rows of some offers entities, each at the position of the event that replaces it.
UPDATE offers SET valid_to = ended.position
FROM unnest($1::uuid[], $2::bigint[]) AS ended (id, position)
WHERE offers.id = ended.id AND offers.valid_to IS NULL
