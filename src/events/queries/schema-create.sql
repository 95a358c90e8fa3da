SELECT events_create_schema($1)
