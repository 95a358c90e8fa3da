"""Folding a page of events into the read model, and writing what it made set-based.

For each table the page touches: the current rows of its entities are read (every table's in
one query, `registry.read.page_sql`; in a build from empty, remembered); the page's events are
folded into their states in memory with the domain's own `evolve`; then the rows the page
replaced are ended, in every table at once, and a row is added for every event, valid from its
position until the entity's next event, inside the page or after it (a live page: both in one
statement; a build's: one for the ends, then one COPY a table). "As
of" any position therefore reads exactly what it would have read had the events been applied
one by one. A table's child rows (an offer's availability index) follow the same
rule, except that they are rewritten only when they change.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg
import msgspec

from events import RecordedEvent
from events.sql import Connection
from registry.read import memo, page_sql, views
from registry.read.tables import TABLES, TABLES_BY_NAME, Table
from registry.streams import entity_id

if TYPE_CHECKING:
    from registry.read.fresh import FreshDocs

_encoder = msgspec.json.Encoder()
# How many entities' states a live projection keeps for its next pages (KeptStates): about as
# many as the state cache of the write side, a few MB.
KEPT_STATES = 10_000
# Up to how many new rows a page writes in one statement (page_sql.WRITE_PAGE); a bigger one (a
# leader catching up) ends its rows in one and COPYs each table's. The statement saves a COPY's
# two round trips a table (~50 ms a batch under bench.load, ~1 ms on an idle machine), but
# PostgreSQL parses its rows as JSON: ~60 µs a row more than a binary COPY (bench.projection's
# live pages of 2,000 events: 5,125 events/s by COPY, 3,866 by the statement).
ONE_STATEMENT_ROWS = 200


class Newest(msgspec.Struct, frozen=True):
    """An entity's newest row in a page: its document (None: the entity is gone) from `valid_from`."""

    table: str
    entity_id: Any
    valid_from: int
    version: int
    doc: bytes | None


class _Current(msgspec.Struct):
    """An entity as the page has left it so far: its state, and where its current rows are."""

    state: Any
    created_position: int
    created_at: datetime
    # The index of its current row among the page's new rows; None while that row is the one
    # stored before the page (or, with `state` None, while it has no current row at all).
    row: int | None = None
    # Its child rows as its state gives them (None: not worked out yet), and the indexes of the
    # page's new child rows that hold them (None: the stored ones do).
    children: Sequence[tuple[Any, ...]] | None = None
    child_rows: list[int] | None = None
    # The stream version of the event that left it so (0: read from the table, not known).
    version: int = 0


class TableBatch:
    """One table's share of a page: the rows it ends and the rows it adds (its child's too).

    `current` holds the entities the page may touch as the rows stored before it left them; the
    fold moves them on. A build's `current` outlives the page (see Build).
    """

    def __init__(self, table: Table[Any], current: dict[Any, _Current]) -> None:
        self.table = table
        self.current = current
        self.ended: dict[Any, int] = {}
        self.rows: list[list[Any]] = []
        self.children_ended: dict[Any, int] = {}
        self.child_rows: list[list[Any]] = []
        self._touched: set[Any] = set()

    @classmethod
    def of_stored(cls, table: Table[Any], stored: list[asyncpg.Record]) -> TableBatch:
        decoder = msgspec.json.Decoder(table.state_type)
        current = {
            r["id"]: _Current(decoder.decode(r["state"]), r["created_position"], r["created_at"])
            for r in stored
        }
        return cls(table, current)

    def fold(self, key: Any, recorded: RecordedEvent) -> None:
        table = self.table
        self._touched.add(key)
        before = self.current.get(key)
        if before is not None and before.state is not None:
            # The row that held until now ends here, whether or not a new one follows.
            if before.row is None:
                self.ended[key] = recorded.position
            else:
                self.rows[before.row][-1] = recorded.position
        state = before.state if before is not None else None
        new = table.evolve(state, recorded.data)
        if new is None:
            after = _Current(None, recorded.position, recorded.recorded_at, version=recorded.version)
        else:
            made = before if state is not None else None
            created_position = made.created_position if made is not None else recorded.position
            created_at = made.created_at if made is not None else recorded.recorded_at
            stamp = views.Stamp(recorded.version, created_at, recorded.recorded_at)
            self.rows.append([
                key, recorded.version, created_position, *table.columns(new),
                table.encode_state(new), _encoder.encode(table.view(new, stamp)),
                created_at, recorded.position, None,
            ])  # fmt: skip
            after = _Current(new, created_position, created_at, len(self.rows) - 1, version=recorded.version)
        if table.child is not None:
            self._fold_children(key, before, after, recorded.position)
        self.current[key] = after

    def _fold_children(self, key: Any, before: _Current | None, after: _Current, position: int) -> None:
        child = self.table.child
        assert child is not None
        old: Sequence[tuple[Any, ...]] = ()
        if before is not None and before.state is not None:
            old = before.children if before.children is not None else child.rows(before.state)
        rows = child.rows(after.state) if after.state is not None else ()
        if list(old) == list(rows):
            after.children, after.child_rows = rows, before.child_rows if before is not None else None
            return
        if old:
            if before is not None and before.child_rows is None:
                self.children_ended.setdefault(key, position)
            elif before is not None:
                for index in before.child_rows or ():
                    self.child_rows[index][-1] = position
        after.children = rows
        after.child_rows = []
        for row in rows:
            self.child_rows.append([key, after.created_position, *row, position, None])
            after.child_rows.append(len(self.child_rows) - 1)

    def newest(self) -> Iterator[Newest]:
        """Each entity the page touched as the page left it (registry.read.fresh)."""
        name = self.table.name
        for key in self._touched:
            entry = self.current[key]
            if entry.state is None or entry.row is None:
                yield Newest(name, key, entry.created_position, 0, None)
                continue
            row = self.rows[entry.row]
            # The row's layout: id, version, …, doc, created_at, valid_from, valid_to.
            yield Newest(name, key, row[-2], row[1], row[-4])

    def settle(self) -> None:
        """The page is to be written: its rows become the stored rows the next page ends."""
        self.settled()

    def settled(self) -> list[tuple[Any, _Current]]:
        """`settle`, and each entity the page touched as it left it (a live page's, once it
        has committed: KeptStates)."""
        entries = []
        for key in self._touched:
            entry = self.current[key]
            entry.row = None
            entry.child_rows = None
            entries.append((key, entry))
        self._touched.clear()
        return entries

    def ends(self) -> dict[str, dict[Any, int]]:
        """The rows this batch ends, by the `-end` query that ends them: {key: position}."""
        ends = {self.table.end_query: self.ended}
        if self.table.child is not None:
            ends[self.table.child.end_query] = self.children_ended
        return ends

    def added(self) -> dict[str, list[list[Any]]]:
        """The rows this batch adds, by table (its child's too)."""
        added = {self.table.name: self.rows}
        if self.table.child is not None:
            added[self.table.child.name] = self.child_rows
        return added

    async def add_rows(self, conn: Connection) -> None:
        """COPY the rows this batch adds (the rows it ends must have been ended first)."""
        table, child = self.table, self.table.child
        if self.rows:
            await conn.copy_records_to_table(table.name, records=self.rows, columns=table.copy_columns)
        if child is not None and self.child_rows:
            await conn.copy_records_to_table(child.name, records=self.child_rows, columns=child.copy_columns)


def by_table(events: Sequence[RecordedEvent]) -> dict[str, list[tuple[Any, RecordedEvent]]]:
    """The events each table takes, with the entity each is about, in log order."""
    touched: dict[str, list[tuple[Any, RecordedEvent]]] = {}
    keys: dict[str, Any] = {}
    for recorded in events:
        stream = recorded.stream_id
        key = keys.get(stream)
        if key is None:
            key = keys[stream] = entity_id(stream)
        for table in ROUTES[recorded.type]:
            # An event type several kinds of stream take goes only to its own stream's table.
            if stream.startswith(table.kind + "-"):
                touched.setdefault(table.name, []).append((key, recorded))
    return touched


def _routes() -> dict[str, list[Table[Any]]]:
    """The tables each event type may go to (demand_covered: a plan's or a need's)."""
    by_type: dict[str, list[Table[Any]]] = {}
    for table in TABLES:
        for event_type in table.event_types:
            by_type.setdefault(event_type, []).append(table)
    return by_type


ROUTES = _routes()


class KeptStates:
    """The states the last committed pages left, so that the next page need not read them back.

    An entity's state after version v of its stream is the log's to say, whoever folded it: an
    entry kept at version v - 1 is exactly what the table holds before the page's event v of
    that stream, whichever process led meanwhile, whatever was rebuilt. So a page takes an
    entity from here only when its first event there is the next version of the entry's, and
    one whose first event is its stream's version 1 has nothing stored; it reads the rest
    (`CURRENT_ROWS`), and none at all when every entity it touches is known. What a page folded
    is kept only once it commits: a failed page leaves the entries as they were.
    """

    def __init__(self, capacity: int = KEPT_STATES) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[str, Any], _Current] = OrderedDict()
        self._staged: list[TableBatch] = []

    def known(
        self, table: str, page: list[tuple[Any, RecordedEvent]]
    ) -> tuple[dict[Any, _Current], list[Any]]:
        """The page's entities of `table` known before it ({key: entry}), and the keys to read."""
        known: dict[Any, _Current] = {}
        unknown: list[Any] = []
        seen: set[Any] = set()
        for key, recorded in page:
            if key in seen:
                continue
            seen.add(key)
            if recorded.version == 1:
                continue  # a new stream: no row before it (its table starts it with no entry)
            entry = self._entries.get((table, key))
            if entry is not None and entry.version == recorded.version - 1:
                known[key] = entry
            else:
                unknown.append(key)
        return known, unknown

    def stage(self, batches: list[TableBatch]) -> None:
        """What the page being applied folded; kept when it commits (an earlier page's, never
        committed, is dropped)."""
        self._staged = batches

    def committed(self) -> None:
        staged, self._staged = self._staged, []
        for batch in staged:
            name = batch.table.name
            for key, entry in batch.settled():
                self._entries[(name, key)] = entry
                self._entries.move_to_end((name, key))
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)


async def apply_page(
    conn: Connection,
    events: Sequence[RecordedEvent],
    fresh: FreshDocs | None = None,
    kept: KeptStates | None = None,
) -> None:
    """Fold a page of events into the read model (search_path names the schema to write); the
    newest document of each entity it touched is staged in `fresh`, and its state in `kept`,
    each kept once the page commits."""
    if fresh is not None:
        fresh.begin_page(events[-1].position if events else 0)
    touched = by_table(events)
    known: dict[str, dict[Any, _Current]] = {}
    ids: dict[str, list[Any]] = {}
    for name, taken in touched.items():
        if kept is not None:
            known[name], ids[name] = kept.known(name, taken)
        else:
            ids[name] = list({key for key, _ in taken})
    stored: dict[int, list[asyncpg.Record]] = {}
    if any(ids.values()):  # a page whose entities are all known (or new) reads nothing
        for row in await conn.fetch(page_sql.CURRENT_ROWS, *page_sql.current_rows_arguments(ids)):
            stored.setdefault(row["table_index"], []).append(row)
    batches = []
    for index, table in enumerate(TABLES):
        page = touched.get(table.name)
        if not page:
            continue
        batch = TableBatch.of_stored(table, stored.get(index, []))
        batch.current.update(known.get(table.name, {}))
        for key, recorded in page:
            batch.fold(key, recorded)
        batches.append(batch)
        if fresh is not None:
            fresh.stage(batch.newest())
    if kept is not None:
        kept.stage(batches)
    if sum(len(b.rows) + len(b.child_rows) for b in batches) > ONE_STATEMENT_ROWS:
        await write_batches(conn, batches)
    elif batches:
        await conn.execute(page_sql.WRITE_PAGE, *page_sql.write_page_arguments(*_writes(batches)))
    memo.forget_all()


def _writes(batches: Sequence[TableBatch]) -> tuple[dict[str, dict[Any, int]], dict[str, list[list[Any]]]]:
    """The rows the batches end, by `-end` query, and the rows they add, by table."""
    ends: dict[str, dict[Any, int]] = {}
    rows: dict[str, list[list[Any]]] = {}
    for batch in batches:
        ends.update(batch.ends())
        rows.update(batch.added())
    return ends, rows


async def write_batches(conn: Connection, batches: Sequence[TableBatch]) -> None:
    """A build's page (or a big live one): all the rows it ends in one statement, then a COPY of
    each table's new rows (a live page writes both in one statement, page_sql.WRITE_PAGE)."""
    ends, _ = _writes(batches)
    arguments = page_sql.end_rows_arguments(ends)
    if arguments is not None:
        await conn.execute(page_sql.END_ROWS, *arguments)
    for batch in batches:
        await batch.add_rows(conn)


class Build:
    """The read model built from an empty schema: every entity remembered, nothing read back.

    It holds each entity's latest state (and child rows) in memory for the whole build.
    """

    def __init__(self) -> None:
        self._current: dict[str, dict[Any, _Current]] = {table.name: {} for table in TABLES}
        self._page: dict[str, TableBatch] = {}

    def add(self, events: Sequence[RecordedEvent]) -> None:
        for name, taken in by_table(events).items():
            batch = self._page.get(name)
            if batch is None:
                batch = self._page[name] = TableBatch(TABLES_BY_NAME[name], self._current[name])
            for key, recorded in taken:
                batch.fold(key, recorded)

    def take(self) -> PageWrites:
        batches = [self._page[t.name] for t in TABLES if t.name in self._page]
        for batch in batches:
            batch.settle()
        self._page = {}
        memo.forget_all()
        return PageWrites(batches)


class PageWrites:
    def __init__(self, batches: list[TableBatch]) -> None:
        self.batches = batches

    async def write(self, conn: Connection) -> None:
        await write_batches(conn, self.batches)
