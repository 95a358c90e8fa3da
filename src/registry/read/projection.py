"""The projection that keeps the read model: every entity's current and past documents.

One generic handler serves every table: it ends the entity's current row at the event's
position, folds the event into the state that row carried, and inserts the new row with its
document. The fold is the domain's own `evolve`, so the read model cannot drift from the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from events import RecordedEvent, TypedCodec
from events.projection import Handler, Projection
from events.sql import Connection, query
from registry.domain import need, offer, plan, token, unit
from registry.domain.events import EVENT_TYPES, Event
from registry.domain.values import window_ranges
from registry.read import views
from registry.streams import entity_id

S = TypeVar("S", bound=msgspec.Struct)

SCHEMA = "registry_read"
_encoder = msgspec.json.Encoder()


@dataclass(frozen=True)
class Table(Generic[S]):
    """How one kind of entity is folded and stored."""

    name: str
    state_type: type[S]
    evolve: Callable[[S | None, Event], S | None]
    view: Callable[[S, views.Stamp], msgspec.Struct]
    # The table's own columns, in the order its insert query takes them after created_position.
    columns: Callable[[S], tuple[Any, ...]]
    event_types: Sequence[str]


def _search(*texts: str | None) -> str:
    return " ".join(t for t in texts if t).lower()


def _offer_columns(state: offer.Offer) -> tuple[Any, ...]:
    ranges = list(window_ranges(state.availability))
    return (
        state.unit_id, state.category, state.status, state.service_area,
        [start for start, _ in ranges], [end for _, end in ranges],
        _search(state.title, state.description, *state.tags),
    )  # fmt: skip


TABLES: tuple[Table[Any], ...] = (
    Table(
        "units", unit.Unit, unit.evolve, views.unit_view,
        lambda s: (s.kind, s.area, _search(s.name, s.short_name, s.description, s.address)),
        ["unit_registered", "unit_profile_updated"],
    ),
    Table(
        "offers", offer.Offer, offer.evolve, views.offer_view, _offer_columns,
        ["offer_submitted", "offer_revised", "offer_paused", "offer_resumed", "offer_withdrawn"],
    ),
    Table(
        "needs", need.Need, need.evolve, views.need_view,
        lambda s: (s.unit_id, s.category, s.status, _search(s.title, s.description, s.location)),
        ["need_raised", "need_closed", "need_cancelled"],
    ),
    Table(
        "plans", plan.Plan, plan.evolve, views.plan_view,
        lambda s: (s.status, s.area, _search(s.title, s.series, s.venue)),
        ["plan_drafted", "slot_added", "plan_published", "plan_cancelled"],
    ),
    Table(
        "tokens", token.Token, token.evolve, views.token_view,
        lambda s: (s.secret_hash, s.revoked),
        ["token_issued", "token_revoked"],
    ),
)  # fmt: skip


def _handler(table: Table[Any]) -> Handler:
    decoder = msgspec.json.Decoder(table.state_type)

    async def handle(conn: Connection, recorded: RecordedEvent) -> None:
        key = entity_id(recorded.stream_id)
        row = await conn.fetchrow(query(f"registry/{table.name}-close"), key, recorded.position)
        state = decoder.decode(row["state"]) if row is not None else None
        new = table.evolve(state, recorded.data)
        if new is None:
            return
        created_position: int = row["created_position"] if row is not None else recorded.position
        created_at: datetime = row["created_at"] if row is not None else recorded.recorded_at
        stamp = views.Stamp(recorded.version, created_at, recorded.recorded_at)
        await conn.execute(
            query(f"registry/{table.name}-insert"),
            key, recorded.version, created_position, *table.columns(new),
            _encoder.encode(new).decode(), _encoder.encode(table.view(new, stamp)).decode(),
            created_at, recorded.position,
        )  # fmt: skip

    return handle


def read_model_projection() -> Projection:
    handlers = {event_type: _handler(table) for table in TABLES for event_type in table.event_types}
    missing = set(EVENT_TYPES) - set(handlers)
    assert not missing, f"events with no read-model handler: {sorted(missing)}"
    return Projection("registry", SCHEMA, query("registry/read-model"), handlers)


def registry_codec() -> TypedCodec:
    """Stored registry events decode straight into their Structs."""
    return TypedCodec(EVENT_TYPES)
