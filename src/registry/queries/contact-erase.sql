-- Erase a contact's personal data, keeping the id its events name. Returns the unit.
UPDATE contacts SET name = NULL, phone = NULL, erased_at = coalesce(erased_at, now())
WHERE id = $1
RETURNING unit_id
