"""A page's reads and ends for every table in one statement each, composed from the tables' own.

A projection batch used to send, for each table it touched, one query for the current rows and
one UPDATE for the rows it ends (two for a table with child rows) before its COPY: ~18 round
trips for a page of the usual mix. Under load each round trip waits for a PostgreSQL backend on
cores it shares with everything else, and a write waits on average for one and a half batches
before it answers. So the tables' statements (`registry/<table>-current`, `-end`, each over `$1`
ids and `$2` positions) are composed here into one read (UNION ALL) and one write (data-modifying
CTEs, which PostgreSQL runs to completion whether or not the outer query reads them), each
table's parameters renumbered; a table the page does not touch is given empty arrays.

A live page (the leader's, a few dozen events while writes wait on it) goes further: its ends
and its new rows go in one statement (`WRITE_PAGE`), each table's rows as one JSON array that
`json_populate_recordset` turns into the table's own row type, in place of a COPY a table (two
round trips each: five COPYs were a third of a batch's time under `bench.load`). A build's
pages, thousands of rows, keep the binary COPY, cheaper to encode and to parse in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from events.sql import query
from registry.read.tables import TABLES, Table
from registry.read.windows import Multirange


# Every table and child table a page writes: its name, its `-end` statement and the columns of
# the rows it adds, in TABLES order (a child after its entity's table).
def _targets(table: Table[Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    targets = [(table.name, table.end_query, tuple(table.copy_columns))]
    if table.child is not None:
        targets.append((table.child.name, table.child.end_query, tuple(table.child.copy_columns)))
    return targets


TARGETS: tuple[tuple[str, str, tuple[str, ...]], ...] = tuple(t for table in TABLES for t in _targets(table))
END_QUERIES: tuple[str, ...] = tuple(end for _, end, _ in TARGETS)
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


def _write_page() -> str:
    # Each table's new rows wait for its ends (the count of the rows ended, which runs that
    # UPDATE to completion first): a table's one current row per entity is a unique index, and
    # data-modifying CTEs otherwise run in no set order. They share a snapshot, so the UPDATE
    # never sees the rows the INSERT adds.
    ctes = []
    for n, (name, end, columns) in enumerate(TARGETS):
        listed = ", ".join(columns)
        ctes.append(f"ended_{n} AS ({_renumbered(query(end), 3 * n)} RETURNING 1)")
        ctes.append(
            f"added_{n} AS (INSERT INTO {name} ({listed}) "  # noqa: S608 (our own names)
            f"SELECT {listed} FROM json_populate_recordset(NULL::{name}, ${3 * n + 3}::json) "
            f"WHERE (SELECT count(*) FROM ended_{n}) >= 0)"
        )
    return "WITH " + ",\n".join(ctes) + "\nSELECT NULL"


CURRENT_ROWS = _current_rows()  # $n: the ids of TABLES[n - 1]
END_ROWS = _ends()  # $2n+1, $2n+2: the ids and positions of END_QUERIES[n]
WRITE_PAGE = _write_page()  # $3n+1, $3n+2, $3n+3: TARGETS[n]'s ended ids, their positions, new rows


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


def write_page_arguments(ends: dict[str, dict[Any, int]], rows: dict[str, list[list[Any]]]) -> list[Any]:
    """WRITE_PAGE's arguments: the rows each `-end` query ends ({key: position}) and each table's
    new rows (in its copy columns' order), by table name."""
    arguments: list[Any] = []
    for name, end, columns in TARGETS:
        ended = ends.get(end, {})
        arguments += [list(ended), list(ended.values()), rows_as_json(columns, rows.get(name, []))]
    return arguments


def rows_as_json(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """Rows as the JSON array of objects json_populate_recordset reads into the table's columns.

    A row's `state` and `doc` are already JSON (bytes) and go in as they are; a range or a
    multirange goes as its text form, which the column's type parses.
    """
    as_json = [
        {c: msgspec.Raw(v) if c in _JSON_COLUMNS else v for c, v in zip(columns, row, strict=True)}
        for row in rows
    ]
    return _row_encoder.encode(as_json)


_JSON_COLUMNS = frozenset({"state", "doc"})


def _bound(value: Any) -> str:
    if value is None:
        return ""
    return '"' + (value.isoformat() if isinstance(value, datetime) else str(value)) + '"'


def _range_text(value: asyncpg.Range[Any]) -> str:
    if value.isempty:
        return "empty"
    opening = "[" if value.lower_inc else "("
    closing = "]" if value.upper_inc else ")"
    return f"{opening}{_bound(value.lower)},{_bound(value.upper)}{closing}"


def _as_text(value: Any) -> Any:
    if isinstance(value, asyncpg.Range):
        return _range_text(value)
    if isinstance(value, Multirange):
        return "{" + ",".join(_range_text(r) for r in value) + "}"
    raise NotImplementedError(f"no JSON form for {type(value).__name__}")


_row_encoder = msgspec.json.Encoder(enc_hook=_as_text)
