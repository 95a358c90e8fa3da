-- btree_gist lets one GiST index hold a text column beside a range (the read model's matching
-- index on offers (category, available)). A trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;
