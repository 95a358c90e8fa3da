SELECT events_rename_schema($1, $2)
