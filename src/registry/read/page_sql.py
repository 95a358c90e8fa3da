"""A page's reads and ends for every table in one statement each, composed from the tables' own.

A projection batch used to send, for each table it touched, one query for the current rows and
one UPDATE for the rows it ends (two for a table with child rows) before its COPY: ~18 round
trips for a page of the usual mix. Under load each round trip waits for a PostgreSQL backend on
cores it shares with everything else, and a write waits on average for one and a half batches
before it answers. So the tables' statements (`registry/<table>-current`, `-end`, each over `$1`
ids and `$2` positions) are composed here into one read (UNION ALL) and one write (data-modifying
CTEs, which PostgreSQL runs to completion whether or not the outer query reads them), each
table's parameters renumbered; a table the page does not touch is given empty arrays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from events.sql import query
from registry.read.tables import TABLES

# The `-end` statements of every table and its child table, in TABLES order.
END_QUERIES: tuple[str, ...] = tuple(
    name for table in TABLES for name in (table.end_query, *([table.child.end_query] if table.child else []))
)
_PARAMETER = re.compile(r"\$(\d+)(?!\d)")


def _renumbered(sql: str, offset: int) -> str:
    """The statement with `$n` as `$(n + offset)`, its comments and trailing semicolon dropped."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    body = "\n".join(lines).strip().rstrip(";")
    assert "--" not in body, "a comment after code would swallow what the composition adds"
    return _PARAMETER.sub(lambda m: f"${int(m.group(1)) + offset}", body)


def _current_rows() -> str:
    # Composed from our own query files and table names, never from input.
    selects = [
        f"SELECT {index} AS table_index, c.* "  # noqa: S608
        f"FROM ({_renumbered(query(table.current_query), index)}) c"
        for index, table in enumerate(TABLES)
    ]
    return "\nUNION ALL\n".join(selects)


def _ends() -> str:
    ctes = [f"ended_{n} AS ({_renumbered(query(name), 2 * n)})" for n, name in enumerate(END_QUERIES)]
    return "WITH " + ",\n".join(ctes) + "\nSELECT NULL"


CURRENT_ROWS = _current_rows()  # $n: the ids of TABLES[n - 1]
END_ROWS = _ends()  # $2n+1, $2n+2: the ids and positions of END_QUERIES[n]


def current_rows_arguments(ids: dict[str, list[Any]]) -> list[list[Any]]:
    """CURRENT_ROWS' arguments for the ids of each table named (the others' empty)."""
    return [ids.get(table.name, []) for table in TABLES]


def end_rows_arguments(ends: dict[str, dict[Any, int]]) -> list[Sequence[Any]] | None:
    """END_ROWS' arguments for the rows each query ends ({key: position}); None if it ends none."""
    if not any(ends.values()):
        return None
    arguments: list[Sequence[Any]] = []
    for name in END_QUERIES:
        ended = ends.get(name, {})
        arguments += [list(ended), list(ended.values())]
    return arguments
