"""Need (需求): what a unit (or the centre, for residents) needs.

open → partially_met → met as confirmed commitments cover its quantity (and back, when they are
released), then closed or cancelled.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from registry.domain import demand
from registry.domain.demand import Cover
from registry.domain.errors import Conflict
from registry.domain.events import (
    DemandCovered,
    Event,
    NeedCancelled,
    NeedClosed,
    NeedPeopleLimitSet,
    NeedRaised,
)
from registry.domain.values import Measure, Urgency

OPEN_STATES = ("open", "partially_met", "met")
# Without a bound set, one commitment may report serving at most this many people per unit of
# the need's quantity.
PEOPLE_PER_UNIT = 100


class Need(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    unit_id: uuid.UUID
    category: str
    title: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    location: str | None
    urgency: Urgency
    description: str | None
    measure: Measure = Measure.PEOPLE
    status: str = "open"
    covers: list[Cover] = []
    # The coordinator's bound on people one commitment may report serving (None: the default).
    people_served_limit: int | None = None

    @property
    def committed(self) -> int:
        return demand.committed(self.covers)

    @property
    def met_quantity(self) -> int:
        return demand.confirmed(self.covers)

    @property
    def uncovered(self) -> int:
        return max(self.quantity - self.committed, 0)

    @property
    def people_limit(self) -> tuple[int, str]:
        """The most people one commitment to the need may report serving, and where it comes from."""
        if self.people_served_limit is not None:
            return self.people_served_limit, "the need's people_served_limit"
        return PEOPLE_PER_UNIT * self.quantity, f"{PEOPLE_PER_UNIT} × the need's quantity {self.quantity}"


class RaiseNeed(msgspec.Struct, frozen=True, kw_only=True):
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
    measure: Measure = Measure.PEOPLE


class CloseNeed(msgspec.Struct, frozen=True, kw_only=True):
    need_id: uuid.UUID


class CancelNeed(msgspec.Struct, frozen=True, kw_only=True):
    need_id: uuid.UUID
    reason: str | None = None


class SetNeedPeopleLimit(msgspec.Struct, frozen=True, kw_only=True):
    need_id: uuid.UUID
    people_served_limit: int | None = None


NeedCommand = RaiseNeed | CloseNeed | CancelNeed | SetNeedPeopleLimit


def decide(state: Need | None, command: NeedCommand) -> list[Event]:
    if isinstance(command, RaiseNeed):
        if state is not None:
            raise Conflict(f"need {command.need_id} already exists")
        return [NeedRaised(**msgspec.structs.asdict(command))]
    if state is None:
        raise Conflict(f"need {command.need_id} does not exist")
    if isinstance(command, SetNeedPeopleLimit):
        # Any state: the bound also holds for corrections made after the need is closed.
        return [NeedPeopleLimitSet(need_id=state.id, people_served_limit=command.people_served_limit)]
    if state.status not in OPEN_STATES:
        raise Conflict(f"the need is {state.status} and can no longer change")
    if isinstance(command, CloseNeed):
        return [NeedClosed(need_id=state.id)]
    return [NeedCancelled(need_id=state.id, reason=command.reason)]


def evolve(state: Need | None, event: Event) -> Need | None:
    if isinstance(event, NeedRaised):
        fields = msgspec.structs.asdict(event)
        return Need(id=fields.pop("need_id"), **fields)
    if state is None:
        return None
    if isinstance(event, NeedPeopleLimitSet):
        return msgspec.structs.replace(state, people_served_limit=event.people_served_limit)
    if isinstance(event, NeedClosed):
        return msgspec.structs.replace(state, status="closed")
    if isinstance(event, NeedCancelled):
        return msgspec.structs.replace(state, status="cancelled")
    if isinstance(event, DemandCovered):
        covered = msgspec.structs.replace(state, covers=demand.updated(state.covers, event))
        return _met(covered)
    return state


def _met(state: Need) -> Need:
    if state.status not in OPEN_STATES:
        return state
    if state.met_quantity >= state.quantity:
        return msgspec.structs.replace(state, status="met")
    return msgspec.structs.replace(state, status="partially_met" if state.met_quantity > 0 else "open")
