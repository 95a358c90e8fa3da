"""SQL lives in .sql files inside the packages that use them; this loads each file once, by name.

A name is `<package>/<file>`: `query("events/head")` is `events/queries/head.sql`. The event
store's own queries are here from the start; an application registers its own folder once
(`register_queries("registry", …)`), so its queries ship in its wheel beside its code.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# A connection as callers hold it: bare, or lent by a pool.
Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"

QUERIES = Path(__file__).resolve().parent / "queries"
_ROOTS: dict[str, Path] = {"events": QUERIES}


def register_queries(package: str, folder: Path) -> None:
    """Serve `query("<package>/<name>")` from `folder/<name>.sql`."""
    _ROOTS[package] = folder


@cache
def query(name: str) -> str:
    """The text of a named query, e.g. `query("events/head")`."""
    package, _, file = name.partition("/")
    root = _ROOTS.get(package)
    if root is None:
        raise KeyError(f"no queries registered for {package!r} (register_queries)")
    return (root / f"{file}.sql").read_text(encoding="utf-8")
