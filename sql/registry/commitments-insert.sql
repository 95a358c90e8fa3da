INSERT INTO commitments (id, version, created_position, unit_id, offer_id, plan_id, slot_id, need_id,
                         need_unit_id, origin, status, declined_by, quantity, starts_at, ends_at, people_served,
                         volunteer_hours, state, doc, created_at, valid_from)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
