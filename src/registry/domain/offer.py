"""Offer (资源): what a unit can give. active ⇄ paused → withdrawn."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec
from msgspec import UNSET, UnsetType

from registry.domain.capacity import Hold, peak_load
from registry.domain.errors import Conflict
from registry.domain.events import (
    CapacityFreed,
    CapacityHeld,
    Event,
    OfferPaused,
    OfferResumed,
    OfferRevised,
    OfferSubmitted,
    OfferWithdrawn,
)
from registry.domain.revision import changed_fields
from registry.domain.values import Capacity, Window, expiry


class Offer(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    unit_id: uuid.UUID
    category: str
    title: str
    description: str | None
    capacity: Capacity
    availability: list[Window]
    service_area: list[str]
    valid_until: date | None
    tags: list[str]
    status: str = "active"
    # What commitments take, each in its own window; never more than the capacity at any moment.
    holds: list[Hold] = []

    @property
    def expires_at(self) -> datetime | None:
        """When the offer expires (the end of `valid_until`, Asia/Shanghai); None: it does not."""
        return expiry(self.valid_until) if self.valid_until is not None else None

    def expired(self, at: datetime) -> bool:
        """Whether the offer has expired at `at`: derived from the time asked, never an event."""
        return self.status != "withdrawn" and self.expires_at is not None and at >= self.expires_at

    def status_at(self, at: datetime) -> str:
        """The status shown at `at`: `expired` once valid_until has passed, unless withdrawn."""
        return "expired" if self.expired(at) else self.status

    @property
    def remaining(self) -> int:
        """What is left at the offer's busiest moment: the most any new window can surely get."""
        return max(self.capacity.quantity - peak_load(self.holds), 0)


class SubmitOffer(msgspec.Struct, frozen=True, kw_only=True):
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


class ReviseOffer(msgspec.Struct, frozen=True, kw_only=True):
    offer_id: uuid.UUID
    category: str | UnsetType = UNSET
    title: str | UnsetType = UNSET
    description: str | UnsetType | None = UNSET
    capacity: Capacity | UnsetType = UNSET
    availability: list[Window] | UnsetType = UNSET
    service_area: list[str] | UnsetType = UNSET
    valid_until: date | UnsetType | None = UNSET
    tags: list[str] | UnsetType = UNSET


class PauseOffer(msgspec.Struct, frozen=True, kw_only=True):
    offer_id: uuid.UUID


class ResumeOffer(msgspec.Struct, frozen=True, kw_only=True):
    offer_id: uuid.UUID


class WithdrawOffer(msgspec.Struct, frozen=True, kw_only=True):
    offer_id: uuid.UUID
    reason: str | None = None


OfferCommand = SubmitOffer | ReviseOffer | PauseOffer | ResumeOffer | WithdrawOffer


def decide(state: Offer | None, command: OfferCommand) -> list[Event]:
    if isinstance(command, SubmitOffer):
        if state is not None:
            raise Conflict(f"offer {command.offer_id} already exists")
        return [OfferSubmitted(**msgspec.structs.asdict(command))]
    if state is None:
        raise Conflict(f"offer {command.offer_id} does not exist")
    if state.status == "withdrawn":
        raise Conflict("the offer is withdrawn and can no longer change")
    if isinstance(command, ReviseOffer):
        changes = changed_fields(state, command)
        capacity = changes.get("capacity")
        if capacity is not None:
            _check_capacity(state, capacity)
        return [OfferRevised(offer_id=state.id, **changes)] if changes else []
    if isinstance(command, PauseOffer):
        if state.status != "active":
            raise Conflict(f"only an active offer can be paused (it is {state.status})")
        return [OfferPaused(offer_id=state.id)]
    if isinstance(command, ResumeOffer):
        if state.status != "paused":
            raise Conflict(f"only a paused offer can be resumed (it is {state.status})")
        return [OfferResumed(offer_id=state.id)]
    return [OfferWithdrawn(offer_id=state.id, reason=command.reason)]


def _check_capacity(state: Offer, capacity: Capacity) -> None:
    """A new capacity keeps what commitments hold: the same measure, and at least the peak load.

    Holds stay on the offer while their commitments are open and once fulfilled (the window was
    spent, and the figures reported were checked against this measure).
    """
    if capacity.measure != state.capacity.measure and state.holds:
        raise Conflict(
            f"the offer is measured in {state.capacity.measure} and {len(state.holds)} commitments "
            f"hold it; its measure cannot become {capacity.measure} (withdraw it and submit a new offer)"
        )
    held = peak_load(state.holds)
    if capacity.quantity < held:
        raise Conflict(f"capacity {capacity.quantity} is below the {held} already committed at one time")


def evolve(state: Offer | None, event: Event) -> Offer | None:
    if isinstance(event, OfferSubmitted):
        fields = msgspec.structs.asdict(event)
        return Offer(id=fields.pop("offer_id"), **fields)
    if state is None:
        return None
    if isinstance(event, OfferRevised):
        return msgspec.structs.replace(state, **changed_fields(state, event))
    if isinstance(event, OfferPaused):
        return msgspec.structs.replace(state, status="paused")
    if isinstance(event, OfferResumed):
        return msgspec.structs.replace(state, status="active")
    if isinstance(event, OfferWithdrawn):
        return msgspec.structs.replace(state, status="withdrawn")
    if isinstance(event, CapacityHeld):
        hold = Hold(
            commitment_id=event.commitment_id, quantity=event.quantity,
            starts_at=event.starts_at, ends_at=event.ends_at,
        )  # fmt: skip
        return msgspec.structs.replace(state, holds=[*state.holds, hold])
    if isinstance(event, CapacityFreed):
        return msgspec.structs.replace(
            state, holds=[h for h in state.holds if h.commitment_id != event.commitment_id]
        )
    return state
