-- A new contact's personal data; a retry with the same id changes nothing (and returns no row).
INSERT INTO contacts (id, unit_id, name, phone) VALUES ($1, $2, $3, $4)
ON CONFLICT (id) DO NOTHING
RETURNING id
