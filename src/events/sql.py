"""SQL lives in files under sql/; this loads each file once, by name."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection as callers hold it: bare, or lent by a pool.
Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

SQL_ROOT = Path(__file__).resolve().parents[2] / "sql"


@cache
def query(name: str) -> str:
    """The text of `sql/<name>.sql`, e.g. `query("events/head")`."""
    return (SQL_ROOT / f"{name}.sql").read_text(encoding="utf-8")
