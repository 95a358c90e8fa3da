INSERT INTO units (id, version, created_position, kind, area, search, state, doc, created_at, valid_from)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
