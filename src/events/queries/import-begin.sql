-- Take the log head for the whole of an import: appends wait until it commits or rolls back,
-- so nothing can be written between the "is it empty?" check and the last imported row.
SELECT position, hash FROM events_head WHERE singleton FOR UPDATE
