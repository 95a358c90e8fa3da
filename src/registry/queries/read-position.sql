-- The log position the read model stands at (in a transaction: the one its snapshot shows).
SELECT position FROM projection_checkpoints WHERE name = 'registry'
