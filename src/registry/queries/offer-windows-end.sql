-- End the current availability-index rows of some offers, each at the position of the event that
-- changed them (see read-model.sql and registry.read.fold).
UPDATE offer_windows SET valid_to = ended.position
FROM unnest($1::uuid[], $2::bigint[]) AS ended (id, position)
WHERE offer_windows.offer_id = ended.id AND offer_windows.valid_to IS NULL
