-- A unit's contacts with their personal data (NULL once erased).
SELECT id, name, phone, erased_at FROM contacts WHERE unit_id = $1 ORDER BY created_at, id
