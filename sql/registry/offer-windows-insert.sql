-- One offer's availability index from a position on: what all its rows share ($2..$7), then its
-- runs as parallel arrays of term bounds, week-position bounds (NULL for a lone range: unbounded)
-- and one range's length (registry.read.windows.offer_window_rows).
INSERT INTO offer_windows (offer_id, unit_id, category, status, service_area, capacity, held, term, week,
                           span_seconds, valid_from)
SELECT $1, $2, $3, $4, $5, $6, $7, tstzrange(r.term_start, r.term_end), int8range(r.week_start, r.week_end),
       r.span_seconds, $13
FROM unnest($8::timestamptz[], $9::timestamptz[], $10::int8[], $11::int8[], $12::float8[])
     AS r (term_start, term_end, week_start, week_end, span_seconds)
