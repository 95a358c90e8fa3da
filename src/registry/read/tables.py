"""The read model's tables: how each kind of entity is folded, and which columns its rows carry."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec

from registry.domain import commitment, need, offer, plan, token, unit
from registry.domain.events import Event
from registry.read import views
from registry.read.memo import IdentityMemo
from registry.read.windows import WindowRow, offer_window_rows
from registry.streams import Kind

S = TypeVar("S", bound=msgspec.Struct)

# Every table's row is (id, version, created_position, <its own columns>, state, doc, created_at,
# valid_from, valid_to); a table names only its own columns.
_LEADING = ("id", "version", "created_position")
_TRAILING = ("state", "doc", "created_at", "valid_from", "valid_to")
_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True)
class Child:
    """Rows another table keeps for an entity, each set valid while the entity's state gives it.

    Unlike the entity's own rows, they are rewritten only when they change (an offer's title
    leaves its availability index alone), so their validity spans the entity's versions. Each
    carries its entity's created_position after the key: the order its table's lists page by, so
    a list can walk child rows in that order without reading the entities (offers-list-covering).
    """

    name: str
    key_column: str
    columns: tuple[str, ...]
    rows: Callable[[Any], Sequence[tuple[Any, ...]]]
    # Ends the current rows of some entities, each at a position ($1 keys, $2 positions).
    end_query: str

    @property
    def copy_columns(self) -> list[str]:
        return [self.key_column, "created_position", *self.columns, "valid_from", "valid_to"]


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
    child: Child | None = None
    # The state as JSON, as its `state` column stores it.
    encode_state: Callable[[S], bytes] = _encode

    @property
    def copy_columns(self) -> list[str]:
        return [*_LEADING, *self.own_columns, *_TRAILING]

    @property
    def current_query(self) -> str:
        """Reads the current rows of some entities ($1 keys)."""
        return f"registry/{self.name}-current"

    @property
    def end_query(self) -> str:
        """Ends the current rows of some entities, each at a position ($1 keys, $2 positions)."""
        return f"registry/{self.name}-end"


def _encoded_slot(slot: plan.Slot, _: None) -> msgspec.Raw:
    return msgspec.Raw(_encode(slot))


_encoded_slots = IdentityMemo(_encoded_slot)


def _encode_plan(state: plan.Plan) -> bytes:
    # As it would encode whole; but a plan's event changes one slot at most and its evolve keeps
    # the others (the same objects), so each slot, covers and all, is encoded once per change.
    return _encode(msgspec.structs.replace(state, slots=[_encoded_slots(s, None) for s in state.slots]))


def _search(*texts: str | None) -> str:
    return " ".join(t for t in texts if t).lower()


def _offer_columns(state: offer.Offer) -> tuple[Any, ...]:
    holds = state.holds
    return (
        state.unit_id, state.category, state.title, state.status, state.service_area,
        state.capacity.quantity, state.expires_at,
        [h.quantity for h in holds], [h.starts_at for h in holds], [h.ends_at for h in holds],
        _search(state.title, state.description, *state.tags),
    )  # fmt: skip


def _commitment_columns(state: commitment.Commitment) -> tuple[Any, ...]:
    return (
        state.unit_id, state.offer_id, state.plan_id, state.slot_id, state.need_id, state.need_unit_id,
        state.origin.value, state.status.value, state.declined_by, state.quantity, state.starts_at,
        state.ends_at, state.people_served, state.volunteer_hours,
    )  # fmt: skip


# Matching's exact availability index (registry.read.windows), beside the offers.
OFFER_WINDOWS = Child(
    "offer_windows", "offer_id", WindowRow._fields, offer_window_rows, "registry/offer-windows-end"
)

TABLES: tuple[Table[Any], ...] = (
    Table(
        "units", "unit", unit.Unit, unit.evolve, views.unit_view,
        ("kind", "area", "search"),
        lambda s: (s.kind, s.area, _search(s.name, s.short_name, s.description, s.address)),
        ["unit_registered", "unit_profile_updated", "contact_added", "contact_erased"],
    ),
    Table(
        "offers", "offer", offer.Offer, offer.evolve, views.offer_view,
        ("unit_id", "category", "title", "status", "service_area", "capacity", "expires_at",
         "hold_quantities", "hold_starts", "hold_ends", "search"),
        _offer_columns,
        ["offer_submitted", "offer_revised", "offer_paused", "offer_resumed", "offer_withdrawn",
         "capacity_held", "capacity_freed"],
        OFFER_WINDOWS,
    ),
    Table(
        "needs", "need", need.Need, need.evolve, views.need_view,
        ("unit_id", "category", "status", "search"),
        lambda s: (s.unit_id, s.category, s.status, _search(s.title, s.description, s.location)),
        ["need_raised", "need_closed", "need_cancelled", "demand_covered", "need_people_limit_set"],
    ),
    Table(
        "plans", "plan", plan.Plan, plan.evolve, views.plan_view,
        ("status", "area", "search"),
        lambda s: (s.status, s.area, _search(s.title, s.series, s.venue)),
        ["plan_drafted", "slot_added", "plan_published", "plan_cancelled", "plan_completed",
         "plan_allocated", "demand_covered", "slot_people_limit_set", "slot_revised", "slot_removed"],
        encode_state=_encode_plan,
    ),
    Table(
        "commitments", "commitment", commitment.Commitment, commitment.evolve, views.commitment_view,
        ("unit_id", "offer_id", "plan_id", "slot_id", "need_id", "need_unit_id", "origin", "status",
         "declined_by", "quantity", "starts_at", "ends_at", "people_served", "volunteer_hours"),
        _commitment_columns,
        ["commitment_proposed", "commitment_claimed", "commitment_confirmed", "commitment_declined",
         "commitment_released", "commitment_fulfilled", "commitment_no_show", "fulfilment_corrected",
         "fulfilment_correction_requested"],
    ),
    Table(
        "tokens", "token", token.Token, token.evolve, views.token_view,
        ("secret_hash", "revoked"),
        lambda s: (s.secret_hash, s.revoked),
        ["token_issued", "token_revoked"],
    ),
)  # fmt: skip

TABLES_BY_NAME = {table.name: table for table in TABLES}
