"""共建资源登记簿 — the co-building resource registry. Its SQL ships inside it (queries/, migrations/)."""

from pathlib import Path

from events.sql import register_queries

register_queries("registry", Path(__file__).resolve().parent / "queries")
