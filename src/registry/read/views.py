"""What readers see: the documents the read model stores and the API returns as they are.

Each is built once, when the event that changes it is projected, and stored as JSON beside the
entity's state; a GET returns the stored bytes. Histories keep every document, so "as of" reads
return exactly what a reader saw then.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec

from registry.domain.commitment import Commitment, Correction, CorrectionRequest, Origin
from registry.domain.events import PlanCompleted
from registry.domain.need import Need
from registry.domain.offer import Offer
from registry.domain.plan import Plan, Slot
from registry.domain.token import Token
from registry.domain.unit import ContactRef, Unit
from registry.domain.values import (
    Capacity,
    CommitmentStatus,
    Measure,
    Role,
    UnitKind,
    Urgency,
    Window,
    expiry,
)
from registry.read.memo import IdentityMemo

_encode = msgspec.json.Encoder().encode


class Stamp(msgspec.Struct, frozen=True):
    """The entity's version (its stream version) and when it was created and last changed."""

    version: int
    created_at: datetime
    updated_at: datetime


class UnitView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    version: int
    name: str
    short_name: str | None
    kind: UnitKind
    area: str
    address: str | None
    party_org: str | None
    description: str | None
    agreement_until: date | None
    status: str
    # Ids and titles only: names and phones are at GET /units/{id}/contacts, and erasable.
    contacts: list[ContactRef]
    created_at: datetime
    updated_at: datetime


class OfferView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    version: int
    unit_id: uuid.UUID
    category: str
    title: str
    description: str | None
    capacity: Capacity
    remaining: int
    availability: list[Window]
    service_area: list[str]
    valid_until: date | None
    tags: list[str]
    # active, paused or withdrawn as the offer's events left it; `expired` once valid_until has
    # passed at the time the read asks about (the stored document keeps the lifecycle status).
    status: str
    created_at: datetime
    updated_at: datetime


class NeedView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    version: int
    unit_id: uuid.UUID
    category: str
    title: str
    quantity: int
    # Promised by open or fulfilled commitments / agreed by both sides (confirmed or fulfilled).
    committed: int
    met_quantity: int
    starts_at: datetime
    ends_at: datetime
    location: str | None
    urgency: Urgency
    description: str | None
    # What the quantity counts; only offers of the same measure meet it.
    measure: Measure
    status: str
    # The coordinator's bound on people one commitment may report serving; null: the default
    # (100 per unit of quantity).
    people_served_limit: int | None
    created_at: datetime
    updated_at: datetime


class SlotView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    plan_id: uuid.UUID
    category: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    notes: str | None
    # What the quantity counts; only offers of the same measure fill it.
    measure: Measure
    committed: int
    fulfilled: int
    # The coordinator's bound on people one commitment may report serving; null: the default
    # (the plan's expected attendance, else 100 per unit of quantity).
    people_served_limit: int | None


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What a completed plan delivered, as its fulfilled commitments add it up."""

    service_items: int
    people_served: int
    volunteer_hours: float
    units_involved: int
    notes: str | None


class PlanView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    version: int
    title: str
    series: str | None
    venue: str
    area: str
    starts_at: datetime
    ends_at: datetime
    expected_attendance: int | None
    status: str
    slots: list[SlotView]
    outcome: Outcome | None
    created_at: datetime
    updated_at: datetime


class CommitmentView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    version: int
    offer_id: uuid.UUID
    unit_id: uuid.UUID
    plan_id: uuid.UUID | None
    slot_id: uuid.UUID | None
    need_id: uuid.UUID | None
    need_unit_id: uuid.UUID | None
    category: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    origin: Origin
    status: CommitmentStatus
    allocation_id: uuid.UUID | None
    people_served: int
    volunteer_hours: float
    notes: str | None
    reason: str | None
    declined_by: str | None
    # Each correction of the fulfilment's figures, with the figures it replaced (the first one's
    # are the figures as reported); `people_served` and `volunteer_hours` are the latest.
    corrections: list[Correction]
    # The unit's requests for a correction since the last one (a correction answers them).
    correction_requests: list[CorrectionRequest]
    created_at: datetime
    updated_at: datetime


class TokenView(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    version: int
    role: Role
    unit_id: uuid.UUID | None
    label: str | None
    revoked: bool
    created_at: datetime
    updated_at: datetime


def _fields(state: msgspec.Struct) -> dict[str, object]:
    return msgspec.structs.asdict(state)


def unit_view(state: Unit, stamp: Stamp) -> UnitView:
    return UnitView(**_fields(state), **_fields(stamp))  # type: ignore[arg-type]


def offer_view(state: Offer, stamp: Stamp) -> OfferView:
    fields = _fields(state)
    del fields["holds"]
    return OfferView(**fields, remaining=state.remaining, **_fields(stamp))  # type: ignore[arg-type]


class _Lifecycle(msgspec.Struct):
    """What an offer's document says of its expiry: its lifecycle status and its last valid day."""

    status: str
    valid_until: date | None = None


_lifecycle = msgspec.json.Decoder(_Lifecycle)


def expired_offer_doc(doc: str | bytes, at: datetime) -> str | None:
    """An offer's stored document with `status: "expired"` when its valid_until has passed at
    `at` (unless withdrawn); None when the time shows it as stored."""
    found = _lifecycle.decode(doc)
    if found.status == "withdrawn" or found.valid_until is None or at < expiry(found.valid_until):
        return None
    fields = msgspec.json.decode(doc)
    fields["status"] = "expired"  # the rest in the stored order
    return msgspec.json.encode(fields).decode()


def need_view(state: Need, stamp: Stamp) -> NeedView:
    fields = _fields(state)
    del fields["covers"]
    fields.update(committed=state.committed, met_quantity=state.met_quantity)
    return NeedView(**fields, **_fields(stamp))  # type: ignore[arg-type]


def _slot_doc(slot: Slot, plan_id: uuid.UUID) -> msgspec.Raw:
    # A plan's event changes one slot at most, and its evolve keeps the others as they were (the
    # same objects): their documents are remembered (registry.read.memo), so a page of a plan's
    # events renders and encodes each slot once per change rather than every slot at every event.
    fields = _fields(slot)
    del fields["covers"]
    view = SlotView(plan_id=plan_id, committed=slot.committed, fulfilled=slot.fulfilled, **fields)  # type: ignore[arg-type]
    return msgspec.Raw(_encode(view))


_slot_docs = IdentityMemo(_slot_doc)


def _outcome(done: PlanCompleted | None) -> Outcome | None:
    if done is None:
        return None
    fields = _fields(done)
    del fields["plan_id"]
    return Outcome(**fields)  # type: ignore[arg-type]


def plan_view(state: Plan, stamp: Stamp) -> PlanView:
    """The plan's document, to be encoded: its slots go as already encoded (msgspec.Raw)."""
    fields = _fields(state)
    fields["slots"] = [_slot_docs(slot, state.id) for slot in state.slots]
    fields["outcome"] = _outcome(state.outcome)
    return PlanView(**fields, **_fields(stamp))  # type: ignore[arg-type]


def commitment_view(state: Commitment, stamp: Stamp) -> CommitmentView:
    return CommitmentView(**_fields(state), **_fields(stamp))  # type: ignore[arg-type]


def token_view(state: Token, stamp: Stamp) -> TokenView:
    fields = _fields(state)
    del fields["secret_hash"]
    return TokenView(**fields, **_fields(stamp))  # type: ignore[arg-type]


# -- what a liaison sees of other units' commitments ----------------------------------------------

# Free text is the parties' own (the offering unit, the unit whose need it serves, the centre):
# fulfilment notes and decline or release reasons may name people or tell a unit's troubles.
# Another unit's liaison sees who gives what, when, how much and how it stands, not these.
PARTIES_ONLY = ("notes", "reason")


class _Parties(msgspec.Struct, frozen=True):
    unit_id: uuid.UUID
    need_unit_id: uuid.UUID | None


_parties = msgspec.json.Decoder(_Parties)


def commitment_seen_by(doc: str, unit_id: uuid.UUID) -> str:
    """A stored commitment document as the liaison of `unit_id` may read it."""
    parties = _parties.decode(doc)
    if unit_id in (parties.unit_id, parties.need_unit_id):
        return doc
    fields = msgspec.json.decode(doc)
    return _encode({**fields, **dict.fromkeys(PARTIES_ONLY)}).decode()
