"""Demand and what covers it: a slot's or a need's quantity against the commitments towards it."""

from __future__ import annotations

import uuid

import msgspec

from registry.domain.events import DemandCovered
from registry.domain.values import CommitmentStatus


class Cover(msgspec.Struct, frozen=True, kw_only=True):
    """Where one commitment towards a demand stands."""

    commitment_id: uuid.UUID
    unit_id: uuid.UUID
    quantity: int
    status: CommitmentStatus
    people_served: int = 0
    volunteer_hours: float = 0.0


def updated(covers: list[Cover], event: DemandCovered) -> list[Cover]:
    """The covers with the event's commitment put at its new status (added when new)."""
    cover = Cover(
        commitment_id=event.commitment_id, unit_id=event.unit_id, quantity=event.quantity,
        status=event.status, people_served=event.people_served, volunteer_hours=event.volunteer_hours,
    )  # fmt: skip
    if any(c.commitment_id == event.commitment_id for c in covers):
        return [cover if c.commitment_id == event.commitment_id else c for c in covers]
    return [*covers, cover]


def committed(covers: list[Cover]) -> int:
    """Quantity promised and not given back: open commitments and fulfilled ones."""
    return sum(c.quantity for c in covers if c.status.holds_capacity)


def confirmed(covers: list[Cover]) -> int:
    """Quantity both sides agreed on (confirmed or already fulfilled)."""
    return sum(
        c.quantity for c in covers if c.status in (CommitmentStatus.CONFIRMED, CommitmentStatus.FULFILLED)
    )


def fulfilled(covers: list[Cover]) -> int:
    return sum(c.quantity for c in covers if c.status == CommitmentStatus.FULFILLED)
