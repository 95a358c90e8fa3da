-- The availability arrives as parallel arrays of range bounds and is stored as one multirange.
INSERT INTO offers (id, version, created_position, unit_id, category, status, service_area,
                    available, capacity, hold_quantities, hold_starts, hold_ends,
                    search, state, doc, created_at, valid_from)
SELECT $1, $2, $3, $4, $5, $6, $7,
       coalesce((SELECT range_agg(tstzrange(s, e)) FROM unnest($8::timestamptz[], $9::timestamptz[]) AS w (s, e)),
                '{}'::tstzmultirange),
       $10, $11, $12, $13, $14, $15, $16, $17, $18
