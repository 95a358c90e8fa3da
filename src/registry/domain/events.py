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

from registry.domain.values import Capacity, Role, UnitKind, Urgency, Window


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


class PlanPublished(Event, tag="plan_published", frozen=True, kw_only=True):
    plan_id: uuid.UUID


class PlanCancelled(Event, tag="plan_cancelled", frozen=True, kw_only=True):
    plan_id: uuid.UUID
    reason: str | None = None


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
    | OfferSubmitted
    | OfferRevised
    | OfferPaused
    | OfferResumed
    | OfferWithdrawn
    | NeedRaised
    | NeedClosed
    | NeedCancelled
    | PlanDrafted
    | SlotAdded
    | PlanPublished
    | PlanCancelled
    | TokenIssued
    | TokenRevoked
)

EVENT_TYPES: dict[str, type[Event]] = {str(cls.__struct_config__.tag): cls for cls in RegistryEvent.__args__}


def tag_of(event: Event) -> str:
    tag: Any = type(event).__struct_config__.tag
    return str(tag)
