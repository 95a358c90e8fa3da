-- End the current rows of some tokens entities, each at the position of the event that replaces it.
UPDATE tokens SET valid_to = ended.position
FROM unnest($1::uuid[], $2::bigint[]) AS ended (id, position)
WHERE tokens.id = ended.id AND tokens.valid_to IS NULL
