"""The registry's events: a tagged union of frozen Structs with explicit, stable tags.

A tag is the event's stored type and never changes, whatever the class is called. New fields get
defaults; a field's type never changes (a new event type or an upcaster does that job).
`UNSET` fields of a revision event are the ones it leaves alone.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from registry.domain.values import Capacity, CommitmentStatus, Measure, Role, UnitKind, Urgency, Window


class Event(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    """Base of every registry event."""


# -- units ---------------------------------------------------------------------------------------


class UnitRegistered(Event, tag="unit_registered", frozen=True, kw_only=True):
    unit_id: uuid.UUID
    name: str
    short_name: str | None = None
    kind: UnitKind
    area: str
    address: str | None = None
    party_org: str | None = None
    description: str | None = None
    agreement_until: date | None = None


class UnitProfileUpdated(Event, tag="unit_profile_updated", frozen=True, kw_only=True):
    unit_id: uuid.UUID
    name: str | UnsetType = UNSET
    short_name: str | UnsetType | None = UNSET
    kind: UnitKind | UnsetType = UNSET
    area: str | UnsetType = UNSET
    address: str | UnsetType | None = UNSET
    party_org: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    agreement_until: date | UnsetType | None = UNSET


class ContactAdded(Event, tag="contact_added", frozen=True, kw_only=True):
    """A person to reach at the unit. Their name and phone are in the erasable contacts table,
    never in the log: the event names the contact by id only."""

    unit_id: uuid.UUID
    contact_id: uuid.UUID
    # What the person does for the unit (联络员, 书记), not who they are.
    title: str | None = None


class ContactErased(Event, tag="contact_erased", frozen=True, kw_only=True):
    """The contact's personal data was erased on request (PIPL); the id stays in history."""

    unit_id: uuid.UUID
    contact_id: uuid.UUID


class UnitNameClaimed(Event, tag="unit_name_claimed", frozen=True, kw_only=True):
    """A unit holds a name in an area (the stream of that area and name, see `domain/unit_name.py`)."""

    unit_id: uuid.UUID
    area: str
    name: str


class UnitNameReleased(Event, tag="unit_name_released", frozen=True, kw_only=True):
    """The unit holding the name was renamed or moved: another unit may take it."""

    unit_id: uuid.UUID


# -- offers (the resource list) ------------------------------------------------------------------


class OfferSubmitted(Event, tag="offer_submitted", frozen=True, kw_only=True):
    offer_id: uuid.UUID
    unit_id: uuid.UUID
    category: str
    title: str
    description: str | None = None
    capacity: Capacity
    availability: list[Window] = []
    service_area: list[str] = []
    valid_until: date | None = None
    tags: list[str] = []


class OfferRevised(Event, tag="offer_revised", frozen=True, kw_only=True):
    offer_id: uuid.UUID
    category: str | UnsetType = UNSET
    title: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    capacity: Capacity | UnsetType = UNSET
    availability: list[Window] | UnsetType = UNSET
    service_area: list[str] | UnsetType = UNSET
    valid_until: date | UnsetType | None = UNSET
    tags: list[str] | UnsetType = UNSET


class OfferPaused(Event, tag="offer_paused", frozen=True, kw_only=True):
    offer_id: uuid.UUID


class OfferResumed(Event, tag="offer_resumed", frozen=True, kw_only=True):
    offer_id: uuid.UUID


class OfferWithdrawn(Event, tag="offer_withdrawn", frozen=True, kw_only=True):
    offer_id: uuid.UUID
    reason: str | None = None


# -- needs (the need list) -----------------------------------------------------------------------


class NeedRaised(Event, tag="need_raised", frozen=True, kw_only=True):
    need_id: uuid.UUID
    unit_id: uuid.UUID
    category: str
    title: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    location: str | None = None
    urgency: Urgency = Urgency.NORMAL
    description: str | None = None
    # What the quantity counts; only offers measured the same way meet it.
    measure: Measure = Measure.PEOPLE


class NeedPeopleLimitSet(Event, tag="need_people_limit_set", frozen=True, kw_only=True):
    """A coordinator set (or, with None, cleared) a need's bound on people served by one commitment
    (unset: 100 per unit of the need's quantity)."""

    need_id: uuid.UUID
    people_served_limit: int | None = None


class NeedClosed(Event, tag="need_closed", frozen=True, kw_only=True):
    need_id: uuid.UUID


class NeedCancelled(Event, tag="need_cancelled", frozen=True, kw_only=True):
    need_id: uuid.UUID
    reason: str | None = None


# -- activity plans ------------------------------------------------------------------------------


class PlanDrafted(Event, tag="plan_drafted", frozen=True, kw_only=True):
    plan_id: uuid.UUID
    title: str
    series: str | None = None
    venue: str
    area: str
    starts_at: datetime
    ends_at: datetime
    expected_attendance: int | None = None


class SlotAdded(Event, tag="slot_added", frozen=True, kw_only=True):
    plan_id: uuid.UUID
    slot_id: uuid.UUID
    category: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    notes: str | None = None
    # What the quantity counts; only offers measured the same way fill it.
    measure: Measure = Measure.PEOPLE


class SlotPeopleLimitSet(Event, tag="slot_people_limit_set", frozen=True, kw_only=True):
    """A coordinator set (or, with None, cleared) the most people one commitment to the slot may
    report serving (unset: the plan's expected attendance, else 100 per unit of the slot's quantity)."""

    plan_id: uuid.UUID
    slot_id: uuid.UUID
    people_served_limit: int | None = None


class SlotRevised(Event, tag="slot_revised", frozen=True, kw_only=True):
    """A slot's fields as the coordinator changed them (all of them, as SlotAdded has them)."""

    plan_id: uuid.UUID
    slot_id: uuid.UUID
    category: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    notes: str | None = None
    measure: Measure = Measure.PEOPLE


class SlotRemoved(Event, tag="slot_removed", frozen=True, kw_only=True):
    """A slot no commitment ever named, taken out of its plan."""

    plan_id: uuid.UUID
    slot_id: uuid.UUID


class PlanPublished(Event, tag="plan_published", frozen=True, kw_only=True):
    plan_id: uuid.UUID


class PlanCancelled(Event, tag="plan_cancelled", frozen=True, kw_only=True):
    plan_id: uuid.UUID
    reason: str | None = None


class PlanCompleted(Event, tag="plan_completed", frozen=True, kw_only=True):
    """The plan is closed with its outcome, as its fulfilled commitments add it up."""

    plan_id: uuid.UUID
    service_items: int
    people_served: int
    volunteer_hours: float
    units_involved: int
    notes: str | None = None


class AllocatedQuantity(msgspec.Struct, frozen=True, kw_only=True):
    slot_id: uuid.UUID
    offer_id: uuid.UUID
    unit_id: uuid.UUID
    quantity: int
    score: float
    commitment_id: uuid.UUID


class UnmetQuantity(msgspec.Struct, frozen=True, kw_only=True):
    slot_id: uuid.UUID
    quantity: int


class PlanAllocated(Event, tag="plan_allocated", frozen=True, kw_only=True):
    """The solver's allocation was dispatched; records what it saw, so it can be recomputed."""

    plan_id: uuid.UUID
    allocation_id: uuid.UUID
    # The read model's log position the solver's inputs were read at.
    read_position: int
    weights: dict[str, float]
    solver: str
    solver_version: str
    status: str
    assignments: list[AllocatedQuantity]
    unmet: list[UnmetQuantity]


# -- commitments (认领 / 派单) -------------------------------------------------------------------
#
# A commitment's own stream tells its story; the streams it touches get a fact of their own in
# the same atomic append: the offer's stream holds or frees capacity (so two commitments racing
# for the last unit meet on the offer's version), and the plan's or need's stream tracks how
# much of its demand commitments cover.


class CommitmentMade(Event, frozen=True, kw_only=True):
    commitment_id: uuid.UUID
    offer_id: uuid.UUID
    # The offering unit, the plan's slot or the need (with its unit) the quantity goes to.
    unit_id: uuid.UUID
    plan_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    need_id: uuid.UUID | None = None
    need_unit_id: uuid.UUID | None = None
    category: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    allocation_id: uuid.UUID | None = None


class CommitmentProposed(CommitmentMade, tag="commitment_proposed", frozen=True, kw_only=True):
    """A coordinator dispatched (派单) an offer's quantity; the unit's liaison accepts or declines."""


class CommitmentClaimed(CommitmentMade, tag="commitment_claimed", frozen=True, kw_only=True):
    """A unit's liaison claimed (认领) a slot or need; a coordinator confirms or declines."""


class CommitmentConfirmed(Event, tag="commitment_confirmed", frozen=True, kw_only=True):
    commitment_id: uuid.UUID


class CommitmentDeclined(Event, tag="commitment_declined", frozen=True, kw_only=True):
    commitment_id: uuid.UUID
    reason: str | None = None
    # "unit" or "centre": a unit turning down a dispatch counts against its reliability.
    by: str | None = None


class CommitmentReleased(Event, tag="commitment_released", frozen=True, kw_only=True):
    commitment_id: uuid.UUID
    reason: str | None = None


class CommitmentFulfilled(Event, tag="commitment_fulfilled", frozen=True, kw_only=True):
    commitment_id: uuid.UUID
    people_served: int
    volunteer_hours: float
    notes: str | None = None


class FulfilmentCorrected(Event, tag="fulfilment_corrected", frozen=True, kw_only=True):
    """A coordinator corrected a fulfilment's figures; the figures it replaces are kept beside."""

    commitment_id: uuid.UUID
    people_served: int
    volunteer_hours: float
    reason: str
    previous_people_served: int
    previous_volunteer_hours: float


class FulfilmentCorrectionRequested(Event, tag="fulfilment_correction_requested", frozen=True, kw_only=True):
    """The offering unit's liaison asked the centre to correct a fulfilment (figures optional)."""

    commitment_id: uuid.UUID
    reason: str
    people_served: int | None = None
    volunteer_hours: float | None = None


class CommitmentNoShow(Event, tag="commitment_no_show", frozen=True, kw_only=True):
    commitment_id: uuid.UUID


class CapacityHeld(Event, tag="capacity_held", frozen=True, kw_only=True):
    """On the offer's stream: a commitment takes quantity during its window."""

    offer_id: uuid.UUID
    commitment_id: uuid.UUID
    quantity: int
    starts_at: datetime
    ends_at: datetime


class CapacityFreed(Event, tag="capacity_freed", frozen=True, kw_only=True):
    """On the offer's stream: a declined or released commitment gives its quantity back."""

    offer_id: uuid.UUID
    commitment_id: uuid.UUID


class DemandCovered(Event, tag="demand_covered", frozen=True, kw_only=True):
    """On the plan's or need's stream: where one commitment towards its demand now stands."""

    plan_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    need_id: uuid.UUID | None = None
    commitment_id: uuid.UUID
    unit_id: uuid.UUID
    quantity: int
    status: CommitmentStatus
    people_served: int = 0
    volunteer_hours: float = 0.0


# -- tokens --------------------------------------------------------------------------------------


class TokenIssued(Event, tag="token_issued", frozen=True, kw_only=True):
    token_id: uuid.UUID
    role: Role
    unit_id: uuid.UUID | None = None
    label: str | None = None
    # SHA-256 of the secret; the secret itself is shown once and never stored.
    secret_hash: str


class TokenRevoked(Event, tag="token_revoked", frozen=True, kw_only=True):
    token_id: uuid.UUID


RegistryEvent = (
    UnitRegistered
    | UnitProfileUpdated
    | ContactAdded
    | ContactErased
    | UnitNameClaimed
    | UnitNameReleased
    | OfferSubmitted
    | OfferRevised
    | OfferPaused
    | OfferResumed
    | OfferWithdrawn
    | NeedRaised
    | NeedPeopleLimitSet
    | NeedClosed
    | NeedCancelled
    | PlanDrafted
    | SlotAdded
    | SlotPeopleLimitSet
    | SlotRevised
    | SlotRemoved
    | PlanPublished
    | PlanCancelled
    | PlanCompleted
    | PlanAllocated
    | CommitmentProposed
    | CommitmentClaimed
    | CommitmentConfirmed
    | CommitmentDeclined
    | CommitmentReleased
    | CommitmentFulfilled
    | CommitmentNoShow
    | FulfilmentCorrected
    | FulfilmentCorrectionRequested
    | CapacityHeld
    | CapacityFreed
    | DemandCovered
    | TokenIssued
    | TokenRevoked
)

EVENT_TYPES: dict[str, type[Event]] = {str(cls.__struct_config__.tag): cls for cls in RegistryEvent.__args__}


def tag_of(event: Event) -> str:
    tag: Any = type(event).__struct_config__.tag
    return str(tag)
