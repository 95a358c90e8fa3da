SELECT position FROM events_head
