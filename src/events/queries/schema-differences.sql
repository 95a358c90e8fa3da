SELECT table_name, only_in_live, only_in_candidate FROM events_schema_differences($1, $2)
