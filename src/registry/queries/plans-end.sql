-- End the current rows of some plans entities, each at the position of the event that replaces it.
UPDATE plans SET valid_to = ended.position
FROM unnest($1::uuid[], $2::bigint[]) AS ended (id, position)
WHERE plans.id = ended.id AND plans.valid_to IS NULL
