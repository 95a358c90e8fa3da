-- End the current rows of some units entities, each at the position of the event that replaces it.
UPDATE units SET valid_to = ended.position
FROM unnest($1::uuid[], $2::bigint[]) AS ended (id, position)
WHERE units.id = ended.id AND units.valid_to IS NULL
