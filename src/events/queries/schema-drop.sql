SELECT events_drop_schema($1)
