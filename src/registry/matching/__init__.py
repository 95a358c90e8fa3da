"""Matching what units offer to what activity plans need."""
