-- Move the head to the batch's last event and wake subscribers once the transaction commits.
UPDATE events_head SET position = $1::bigint, hash = $2 RETURNING pg_notify('events', $1::bigint::text)
