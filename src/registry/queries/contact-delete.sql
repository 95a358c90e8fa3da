-- Undo a contact whose event could not be written (it was never part of the registry).
DELETE FROM contacts WHERE id = $1 AND erased_at IS NULL
