-- End the current rows of some needs entities, each at the position of the event that replaces it.
UPDATE needs SET valid_to = ended.position
FROM unnest($1::uuid[], $2::bigint[]) AS ended (id, position)
WHERE needs.id = ended.id AND needs.valid_to IS NULL
