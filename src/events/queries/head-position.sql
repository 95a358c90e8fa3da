SELECT position FROM events_head WHERE singleton
