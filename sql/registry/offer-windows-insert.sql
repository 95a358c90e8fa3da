-- One offer's availability index from a position on: its runs arrive as parallel arrays of term
-- bounds, week-position bounds (NULL for a lone range: unbounded) and one range's length
-- (registry.read.windows.offer_window_rows).
INSERT INTO offer_windows (offer_id, unit_id, category, status, service_area, term, week, span_seconds,
                           valid_from)
SELECT $1, $2, $3, $4, $5, tstzrange(r.term_start, r.term_end), int8range(r.week_start, r.week_end),
       r.span_seconds, $11
FROM unnest($6::timestamptz[], $7::timestamptz[], $8::int8[], $9::int8[], $10::float8[])
     AS r (term_start, term_end, week_start, week_end, span_seconds)
