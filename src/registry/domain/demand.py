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
    # Set once a fulfilment is corrected: the figures as the unit first reported them.
    reported_people_served: int | None = None
    reported_volunteer_hours: float | None = None

    @property
    def corrected(self) -> bool:
        return self.reported_people_served is not None

    @property
    def as_reported(self) -> tuple[int, float]:
        """People served and volunteer hours as first reported, whatever corrections followed."""
        if self.reported_people_served is None or self.reported_volunteer_hours is None:
            return self.people_served, self.volunteer_hours
        return self.reported_people_served, self.reported_volunteer_hours


def updated(covers: list[Cover], event: DemandCovered) -> list[Cover]:
    """The covers with the event's commitment put at its new status (added when new).

    A fulfilled commitment covered again as fulfilled is a correction of its figures: the cover
    keeps the figures first reported beside the corrected ones.
    """
    cover = Cover(
        commitment_id=event.commitment_id, unit_id=event.unit_id, quantity=event.quantity,
        status=event.status, people_served=event.people_served, volunteer_hours=event.volunteer_hours,
    )  # fmt: skip
    before = next((c for c in covers if c.commitment_id == event.commitment_id), None)
    if before is None:
        return [*covers, cover]
    if before.status == CommitmentStatus.FULFILLED and cover.status == CommitmentStatus.FULFILLED:
        people, hours = before.as_reported
        cover = msgspec.structs.replace(cover, reported_people_served=people, reported_volunteer_hours=hours)
    return [cover if c.commitment_id == event.commitment_id else c for c in covers]


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
