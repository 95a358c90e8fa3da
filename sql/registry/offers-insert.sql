-- The availability arrives as parallel arrays of range bounds and is stored as one multirange;
-- so does its fold onto the reference week (see registry.domain.values.fold_to_week).
INSERT INTO offers (id, version, created_position, unit_id, category, title, status, service_area,
                    available, week, capacity, hold_quantities, hold_starts, hold_ends,
                    search, state, doc, created_at, valid_from)
SELECT $1, $2, $3, $4, $5, $6, $7, $8,
       coalesce((SELECT range_agg(tstzrange(s, e)) FROM unnest($9::timestamptz[], $10::timestamptz[]) AS w (s, e)),
                '{}'::tstzmultirange),
       coalesce((SELECT range_agg(tstzrange(s, e)) FROM unnest($11::timestamptz[], $12::timestamptz[]) AS w (s, e)),
                '{}'::tstzmultirange),
       $13, $14, $15, $16, $17, $18, $19, $20, $21
