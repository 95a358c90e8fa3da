-- End the current rows of one offer's availability index at a position (see read-model.sql).
UPDATE offer_windows SET valid_to = $2
WHERE offer_id = $1 AND valid_to IS NULL
