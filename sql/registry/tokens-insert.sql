INSERT INTO tokens (id, version, created_position, secret_hash, revoked, state, doc, created_at, valid_from)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
