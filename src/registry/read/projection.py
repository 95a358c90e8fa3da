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
from registry.domain import commitment, need, offer, plan, token, unit
from registry.domain.events import EVENT_TYPES, Event
from registry.domain.values import fold_to_week, window_ranges
from registry.read import views
from registry.read.windows import project_offer_windows
from registry.streams import Kind, entity_id

S = TypeVar("S", bound=msgspec.Struct)

SCHEMA = "registry_read"
_encoder = msgspec.json.Encoder()


@dataclass(frozen=True)
class Table(Generic[S]):
    """How one kind of entity is folded and stored."""

    name: str
    kind: Kind
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
    folded = {piece for start, end in ranges for piece in fold_to_week(start, end)}
    holds = state.holds
    return (
        state.unit_id, state.category, state.title, state.status, state.service_area,
        [start for start, _ in ranges], [end for _, end in ranges],
        [start for start, _ in folded], [end for _, end in folded], state.capacity.quantity,
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
        lambda s: (s.kind, s.area, _search(s.name, s.short_name, s.description, s.address)),
        ["unit_registered", "unit_profile_updated", "contact_added", "contact_erased"],
    ),
    Table(
        "offers", "offer", offer.Offer, offer.evolve, views.offer_view, _offer_columns,
        ["offer_submitted", "offer_revised", "offer_paused", "offer_resumed", "offer_withdrawn",
         "capacity_held", "capacity_freed"],
    ),
    Table(
        "needs", "need", need.Need, need.evolve, views.need_view,
        lambda s: (s.unit_id, s.category, s.status, _search(s.title, s.description, s.location)),
        ["need_raised", "need_closed", "need_cancelled", "demand_covered"],
    ),
    Table(
        "plans", "plan", plan.Plan, plan.evolve, views.plan_view,
        lambda s: (s.status, s.area, _search(s.title, s.series, s.venue)),
        ["plan_drafted", "slot_added", "plan_published", "plan_cancelled", "plan_completed",
         "plan_allocated", "demand_covered"],
    ),
    Table(
        "commitments", "commitment", commitment.Commitment, commitment.evolve, views.commitment_view,
        _commitment_columns,
        ["commitment_proposed", "commitment_claimed", "commitment_confirmed", "commitment_declined",
         "commitment_released", "commitment_fulfilled", "commitment_no_show"],
    ),
    Table(
        "tokens", "token", token.Token, token.evolve, views.token_view,
        lambda s: (s.secret_hash, s.revoked),
        ["token_issued", "token_revoked"],
    ),
)  # fmt: skip


def _handler(table: Table[Any]) -> Handler:
    decoder = msgspec.json.Decoder(table.state_type)

    async def handle(conn: Connection, recorded: RecordedEvent) -> None:
        if not recorded.stream_id.startswith(table.kind + "-"):
            return  # an event type several kinds of stream take; this table is not its stream's
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
        if table.name == "offers":  # matching's exact availability index, beside the offer's row
            await project_offer_windows(conn, key, state, new, recorded.position)

    return handle


def _either(handlers: list[Handler]) -> Handler:
    """One event type that several tables take (demand_covered): each handler checks the stream."""
    if len(handlers) == 1:
        return handlers[0]

    async def handle(conn: Connection, recorded: RecordedEvent) -> None:
        for handler in handlers:
            await handler(conn, recorded)

    return handle


def read_model_projection() -> Projection:
    by_type: dict[str, list[Handler]] = {}
    for table in TABLES:
        handler = _handler(table)
        for event_type in table.event_types:
            by_type.setdefault(event_type, []).append(handler)
    handlers = {event_type: _either(found) for event_type, found in by_type.items()}
    missing = set(EVENT_TYPES) - set(handlers)
    assert not missing, f"events with no read-model handler: {sorted(missing)}"
    return Projection("registry", SCHEMA, query("registry/read-model"), handlers)


def registry_codec() -> TypedCodec:
    """Stored registry events decode straight into their Structs."""
    return TypedCodec(EVENT_TYPES)
