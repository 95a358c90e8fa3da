"""An offer's capacity over time: what its commitments hold, and what is left in a window.

Capacity is per moment, not per lifetime: an offer of 5 volunteers can staff a morning post and
an afternoon post with 5 each, but two posts at the same hour share the 5. So what is left in a
window is the capacity minus the highest load any moment of that window carries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import msgspec


class Hold(msgspec.Struct, frozen=True, kw_only=True):
    """Quantity an open commitment takes from an offer during [starts_at, ends_at)."""

    commitment_id: uuid.UUID
    quantity: int
    starts_at: datetime
    ends_at: datetime


def peak_load(
    holds: Iterable[Hold], starts_at: datetime | None = None, ends_at: datetime | None = None
) -> int:
    """The highest total quantity held at any one moment within [starts_at, ends_at) (all time if None).

    Loads only rise where a hold starts, so the window's start and the starts of the holds
    inside it are the only moments worth checking.
    """
    inside = [
        h
        for h in holds
        if (starts_at is None or h.ends_at > starts_at) and (ends_at is None or h.starts_at < ends_at)
    ]
    moments = {h.starts_at for h in inside}
    if starts_at is not None:
        moments = {max(m, starts_at) for m in moments}
    return max(
        (sum(h.quantity for h in inside if h.starts_at <= m < h.ends_at) for m in moments),
        default=0,
    )


def remaining_in(capacity: int, holds: list[Hold], starts_at: datetime, ends_at: datetime) -> int:
    """What is left to commit for the whole of [starts_at, ends_at)."""
    if not holds:  # most offers, most of the time: no need to look for a peak
        return capacity
    return max(capacity - peak_load(holds, starts_at, ends_at), 0)
