"""The projection that keeps the read model: every entity's current and past documents.

It takes the log a page at a time. For each table it reads, in one query, the current rows of
the entities the page touches; folds the page's events into their states in memory with the
domain's own `evolve` (so the read model cannot drift from the rules); then writes set-based:
one UPDATE ends the rows the page replaced, one COPY adds every new row. Each event still makes
its own system-versioned row, valid from its position until the entity's next event (inside the
page or after it), so "as of" any position reads exactly what it would have read had the events
been applied one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import asyncpg
import msgspec

from events import RecordedEvent, TypedCodec
from events.projection import Projection
from events.sql import Connection, query
from registry.domain import commitment, need, offer, plan, token, unit
from registry.domain.events import EVENT_TYPES, Event
from registry.domain.values import Window, fold_to_week, window_ranges
from registry.read import views
from registry.streams import Kind, entity_id

S = TypeVar("S", bound=msgspec.Struct)

SCHEMA = "registry_read"
_encoder = msgspec.json.Encoder()
# Every table's row is (id, version, created_position, <its own columns>, state, doc, created_at,
# valid_from, valid_to); a table names only its own columns.
_LEADING = ("id", "version", "created_position")
_TRAILING = ("state", "doc", "created_at", "valid_from", "valid_to")


@dataclass(frozen=True)
class Table(Generic[S]):
    """How one kind of entity is folded and stored."""

    name: str
    kind: Kind
    state_type: type[S]
    evolve: Callable[[S | None, Event], S | None]
    view: Callable[[S, views.Stamp], msgspec.Struct]
    # The table's own column names, and their values for a state, in the same order.
    own_columns: tuple[str, ...]
    columns: Callable[[S], tuple[Any, ...]]
    event_types: Sequence[str]

    @property
    def copy_columns(self) -> list[str]:
        return [*_LEADING, *self.own_columns, *_TRAILING]


def _search(*texts: str | None) -> str:
    return " ".join(t for t in texts if t).lower()


def _multirange(pieces: Sequence[tuple[datetime, datetime]]) -> list[asyncpg.Range[datetime]]:
    # PostgreSQL sorts and merges a multirange's ranges as it receives them (as range_agg would).
    return [asyncpg.Range(start, end) for start, end in pieces]


def _availability(
    windows: list[Window],
) -> tuple[list[asyncpg.Range[datetime]], list[asyncpg.Range[datetime]]]:
    """The concrete ranges and their fold onto the reference week, remembered by identity.

    Most of an offer's events (holds, pauses) leave its availability list as it was, the same
    object: a page then expands each weekly window once, not once per version.
    """
    memo = _AVAILABILITY.get(id(windows))
    if memo is not None and memo[0] is windows:
        return memo[1], memo[2]
    ranges = list(window_ranges(windows))
    folded = [piece for start, end in ranges for piece in fold_to_week(start, end)]
    found = _multirange(ranges), _multirange(folded)
    if len(_AVAILABILITY) >= _AVAILABILITY_MEMO_SIZE:
        _AVAILABILITY.clear()
    _AVAILABILITY[id(windows)] = (windows, *found)
    return found


_AVAILABILITY_MEMO_SIZE = 20_000
_AVAILABILITY: dict[
    int, tuple[list[Window], list[asyncpg.Range[datetime]], list[asyncpg.Range[datetime]]]
] = {}


def _offer_columns(state: offer.Offer) -> tuple[Any, ...]:
    available, week = _availability(state.availability)
    holds = state.holds
    return (
        state.unit_id, state.category, state.title, state.status, state.service_area,
        available, week, state.capacity.quantity,
        [h.quantity for h in holds], [h.starts_at for h in holds], [h.ends_at for h in holds],
        _search(state.title, state.description, *state.tags),
    )  # fmt: skip


def _commitment_columns(state: commitment.Commitment) -> tuple[Any, ...]:
    return (
        state.unit_id, state.offer_id, state.plan_id, state.slot_id, state.need_id, state.need_unit_id,
        state.origin.value, state.status.value, state.declined_by, state.quantity, state.starts_at,
        state.ends_at, state.people_served, state.volunteer_hours,
    )  # fmt: skip


TABLES: tuple[Table[Any], ...] = (
    Table(
        "units", "unit", unit.Unit, unit.evolve, views.unit_view,
        ("kind", "area", "search"),
        lambda s: (s.kind, s.area, _search(s.name, s.short_name, s.description, s.address)),
        ["unit_registered", "unit_profile_updated", "contact_added", "contact_erased"],
    ),
    Table(
        "offers", "offer", offer.Offer, offer.evolve, views.offer_view,
        ("unit_id", "category", "title", "status", "service_area", "available", "week", "capacity",
         "hold_quantities", "hold_starts", "hold_ends", "search"),
        _offer_columns,
        ["offer_submitted", "offer_revised", "offer_paused", "offer_resumed", "offer_withdrawn",
         "capacity_held", "capacity_freed"],
    ),
    Table(
        "needs", "need", need.Need, need.evolve, views.need_view,
        ("unit_id", "category", "status", "search"),
        lambda s: (s.unit_id, s.category, s.status, _search(s.title, s.description, s.location)),
        ["need_raised", "need_closed", "need_cancelled", "demand_covered"],
    ),
    Table(
        "plans", "plan", plan.Plan, plan.evolve, views.plan_view,
        ("status", "area", "search"),
        lambda s: (s.status, s.area, _search(s.title, s.series, s.venue)),
        ["plan_drafted", "slot_added", "plan_published", "plan_cancelled", "plan_completed",
         "plan_allocated", "demand_covered"],
    ),
    Table(
        "commitments", "commitment", commitment.Commitment, commitment.evolve, views.commitment_view,
        ("unit_id", "offer_id", "plan_id", "slot_id", "need_id", "need_unit_id", "origin", "status",
         "declined_by", "quantity", "starts_at", "ends_at", "people_served", "volunteer_hours"),
        _commitment_columns,
        ["commitment_proposed", "commitment_claimed", "commitment_confirmed", "commitment_declined",
         "commitment_released", "commitment_fulfilled", "commitment_no_show"],
    ),
    Table(
        "tokens", "token", token.Token, token.evolve, views.token_view,
        ("secret_hash", "revoked"),
        lambda s: (s.secret_hash, s.revoked),
        ["token_issued", "token_revoked"],
    ),
)  # fmt: skip


class _Current(msgspec.Struct):
    """An entity as the page has left it so far: its state, and where its current row is."""

    state: Any
    created_position: int
    created_at: datetime
    # The index of its current row among the page's new rows; None while that row is the one
    # stored before the page (or, with `state` None, while it has no current row at all).
    row: int | None = None


class _TableBatch:
    """One table's share of a page: the rows it ends and the rows it adds.

    `current` holds the entities the page may touch as the rows stored before it left them; the
    fold moves them on. A build's `current` outlives the page (see _Build).
    """

    def __init__(self, table: Table[Any], current: dict[Any, _Current]) -> None:
        self.table = table
        self.current = current
        self.ended: dict[Any, int] = {}
        self.rows: list[list[Any]] = []

    @classmethod
    def of_stored(cls, table: Table[Any], stored: list[asyncpg.Record]) -> _TableBatch:
        decoder = msgspec.json.Decoder(table.state_type)
        current = {
            r["id"]: _Current(decoder.decode(r["state"]), r["created_position"], r["created_at"])
            for r in stored
        }
        return cls(table, current)

    def settle(self) -> None:
        """The page is to be written: its rows become the stored rows the next page ends."""
        for row in self.rows:
            self.current[row[0]].row = None

    def fold(self, key: Any, recorded: RecordedEvent) -> None:
        table = self.table
        found = self.current.get(key)
        if found is not None and found.state is not None:
            # The row that held until now ends here, whether or not a new one follows.
            if found.row is None:
                self.ended[key] = recorded.position
            else:
                self.rows[found.row][-1] = recorded.position
        state = found.state if found is not None else None
        new = table.evolve(state, recorded.data)
        if new is None:
            self.current[key] = _Current(None, recorded.position, recorded.recorded_at)
            return
        if state is None:
            found = _Current(new, recorded.position, recorded.recorded_at)
        assert found is not None
        stamp = views.Stamp(recorded.version, found.created_at, recorded.recorded_at)
        self.rows.append([
            key, recorded.version, found.created_position, *table.columns(new),
            _encoder.encode(new).decode(), _encoder.encode(table.view(new, stamp)).decode(),
            found.created_at, recorded.position, None,
        ])  # fmt: skip
        self.current[key] = _Current(new, found.created_position, found.created_at, len(self.rows) - 1)

    async def write(self, conn: Connection) -> None:
        name = self.table.name
        if self.ended:
            await conn.execute(query(f"registry/{name}-end"), list(self.ended), list(self.ended.values()))
        if self.rows:
            await conn.copy_records_to_table(name, records=self.rows, columns=self.table.copy_columns)


def _routes() -> dict[str, list[Table[Any]]]:
    """The tables each event type may go to (demand_covered: a plan's or a need's)."""
    by_type: dict[str, list[Table[Any]]] = {}
    for table in TABLES:
        for event_type in table.event_types:
            by_type.setdefault(event_type, []).append(table)
    return by_type


_ROUTES = _routes()
# Events no table shows: a unit's name claims serve the write side alone (registry.domain.unit_name).
_NOT_READ = {"unit_name_claimed", "unit_name_released"}


def _by_table(events: Sequence[RecordedEvent]) -> dict[str, list[tuple[Any, RecordedEvent]]]:
    """The events each table takes, with the entity each is about, in log order."""
    touched: dict[str, list[tuple[Any, RecordedEvent]]] = {}
    keys: dict[str, Any] = {}
    for recorded in events:
        stream = recorded.stream_id
        key = keys.get(stream)
        if key is None:
            key = keys[stream] = entity_id(stream)
        for table in _ROUTES[recorded.type]:
            # An event type several kinds of stream take goes only to its own stream's table.
            if stream.startswith(table.kind + "-"):
                touched.setdefault(table.name, []).append((key, recorded))
    return touched


async def apply_page(conn: Connection, events: Sequence[RecordedEvent]) -> None:
    """Fold a page of events into the read model (search_path names the schema to write)."""
    touched = _by_table(events)
    for table in TABLES:
        page = touched.get(table.name)
        if not page:
            continue
        ids = list({key for key, _ in page})
        batch = _TableBatch.of_stored(table, await conn.fetch(query(f"registry/{table.name}-current"), ids))
        for key, recorded in page:
            batch.fold(key, recorded)
        await batch.write(conn)


class _Build:
    """The read model built from an empty schema: every entity remembered, nothing read back.

    It holds each entity's latest state in memory (a few KB each) for the whole build.
    """

    def __init__(self) -> None:
        self._current: dict[str, dict[Any, _Current]] = {table.name: {} for table in TABLES}
        self._page: dict[str, _TableBatch] = {}

    def add(self, events: Sequence[RecordedEvent]) -> None:
        for name, taken in _by_table(events).items():
            batch = self._page.get(name)
            if batch is None:
                batch = self._page[name] = _TableBatch(_TABLES_BY_NAME[name], self._current[name])
            for key, recorded in taken:
                batch.fold(key, recorded)

    def take(self) -> _PageWrites:
        batches = [self._page[t.name] for t in TABLES if t.name in self._page]
        for batch in batches:
            batch.settle()
        self._page = {}
        return _PageWrites(batches)


class _PageWrites:
    def __init__(self, batches: list[_TableBatch]) -> None:
        self.batches = batches

    async def write(self, conn: Connection) -> None:
        for batch in self.batches:
            await batch.write(conn)


_TABLES_BY_NAME = {table.name: table for table in TABLES}


def read_model_projection() -> Projection:
    missing = set(EVENT_TYPES) - set(_ROUTES) - _NOT_READ
    assert not missing, f"events with no read-model table: {sorted(missing)}"
    return Projection(
        "registry", SCHEMA, query("registry/read-model"), apply=apply_page, types=_ROUTES, build=_Build
    )


def registry_codec() -> TypedCodec:
    """Stored registry events decode straight into their Structs."""
    return TypedCodec(EVENT_TYPES)
