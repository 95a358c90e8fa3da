"""Activity plan (项目 / 活动方案) with its slots.

draft → published ⇄ staffed (every slot's quantity committed) → completed, or cancelled.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from registry.domain import demand
from registry.domain.demand import Cover
from registry.domain.errors import Conflict, NotFound
from registry.domain.events import (
    DemandCovered,
    Event,
    PlanCancelled,
    PlanCompleted,
    PlanDrafted,
    PlanPublished,
    SlotAdded,
    SlotPeopleLimitSet,
    SlotRemoved,
    SlotRevised,
)
from registry.domain.values import CommitmentStatus, Measure

EDITABLE_STATES = ("draft", "published", "staffed")
LIVE_STATES = ("published", "staffed")
# Without a bound set and without an expected attendance, one commitment may report serving at
# most this many people per unit of the slot's quantity.
PEOPLE_PER_UNIT = 100
# Open commitments named in a refusal to complete, at most (the rest are counted).
NAMED_AT_MOST = 10


T = TypeVar("T")


class Slot(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    category: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    notes: str | None
    # What the quantity counts (2 booths, 2 people); only offers measured the same way fill it.
    measure: Measure = Measure.PEOPLE
    covers: list[Cover] = []
    # The coordinator's bound on people one commitment may report serving (None: the default).
    people_served_limit: int | None = None

    @property
    def committed(self) -> int:
        return demand.committed(self.covers)

    @property
    def fulfilled(self) -> int:
        return demand.fulfilled(self.covers)

    @property
    def uncovered(self) -> int:
        return max(self.quantity - self.committed, 0)

    @property
    def delivered(self) -> list[Cover]:
        """The fulfilled commitments: what the slot's outcome is made of."""
        return [c for c in self.covers if c.status == CommitmentStatus.FULFILLED]


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    title: str
    series: str | None
    venue: str
    area: str
    starts_at: datetime
    ends_at: datetime
    expected_attendance: int | None
    status: str = "draft"
    slots: list[Slot] = []
    outcome: PlanCompleted | None = None

    def slot(self, slot_id: uuid.UUID) -> Slot | None:
        return next((s for s in self.slots if s.id == slot_id), None)

    @property
    def closed(self) -> bool:
        """Completed or cancelled: its commitments take no further step."""
        return self.status in ("completed", "cancelled")

    def people_limit(self, slot: Slot) -> tuple[int, str]:
        """The most people one commitment to `slot` may report serving, and where it comes from."""
        if slot.people_served_limit is not None:
            return slot.people_served_limit, "the slot's people_served_limit"
        if self.expected_attendance is not None:
            return self.expected_attendance, "the plan's expected attendance"
        return PEOPLE_PER_UNIT * slot.quantity, f"{PEOPLE_PER_UNIT} × the slot's quantity {slot.quantity}"


class DraftPlan(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: uuid.UUID
    title: str
    series: str | None = None
    venue: str
    area: str
    starts_at: datetime
    ends_at: datetime
    expected_attendance: int | None = None


class AddSlot(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: uuid.UUID
    slot_id: uuid.UUID
    category: str
    quantity: int
    # Default to the plan's own window when not given.
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    notes: str | None = None
    people_served_limit: int | None = None
    measure: Measure = Measure.PEOPLE


class ReviseSlot(msgspec.Struct, frozen=True, kw_only=True):
    """A slot's fields anew; a field left unset keeps its value (the API's PATCH). Once
    commitments name it, only its quantity (not below what they cover) and notes may change:
    they were made for its category, measure and window."""

    plan_id: uuid.UUID
    slot_id: uuid.UUID
    category: str | UnsetType = UNSET
    quantity: int | UnsetType = UNSET
    # None: the plan's own start or end, as for AddSlot; unset: the slot's own, kept.
    starts_at: datetime | UnsetType | None = UNSET
    ends_at: datetime | UnsetType | None = UNSET
    notes: str | UnsetType | None = UNSET
    measure: Measure | UnsetType = UNSET


class RemoveSlot(msgspec.Struct, frozen=True, kw_only=True):
    """Take out a slot no commitment ever named (one that has any: set its quantity instead)."""

    plan_id: uuid.UUID
    slot_id: uuid.UUID


class SetSlotPeopleLimit(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: uuid.UUID
    slot_id: uuid.UUID
    people_served_limit: int | None = None


class PublishPlan(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: uuid.UUID


class CancelPlan(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: uuid.UUID
    reason: str | None = None


class CompletePlan(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: uuid.UUID
    notes: str | None = None
    # Release the open commitments in the same append (the service does, before deciding this).
    release_open: bool = False


PlanCommand = (
    DraftPlan
    | AddSlot
    | ReviseSlot
    | RemoveSlot
    | SetSlotPeopleLimit
    | PublishPlan
    | CancelPlan
    | CompletePlan
)


def decide(state: Plan | None, command: PlanCommand) -> list[Event]:
    if isinstance(command, DraftPlan):
        if state is not None:
            raise Conflict(f"plan {command.plan_id} already exists")
        return [PlanDrafted(**msgspec.structs.asdict(command))]
    if state is None:
        raise Conflict(f"plan {command.plan_id} does not exist")
    if isinstance(command, SetSlotPeopleLimit):
        # Any state: the bound also holds for corrections made after the plan is completed.
        return [_limit_set(state, command.slot_id, command.people_served_limit)]
    if state.status not in EDITABLE_STATES:
        raise Conflict(f"the plan is {state.status} and can no longer change")
    if isinstance(command, AddSlot):
        added = _slot_added(state, command)
        if command.people_served_limit is None:
            return [added]
        limit = SlotPeopleLimitSet(
            plan_id=state.id, slot_id=command.slot_id, people_served_limit=command.people_served_limit
        )
        return [added, limit]
    if isinstance(command, ReviseSlot):
        return [_slot_revised(state, command)]
    if isinstance(command, RemoveSlot):
        return [_slot_removed(state, command.slot_id)]
    if isinstance(command, PublishPlan):
        if state.status != "draft":
            raise Conflict(f"only a draft can be published (the plan is {state.status})")
        return [PlanPublished(plan_id=state.id)]
    if isinstance(command, CompletePlan):
        return [_completed(state, command.notes, command.release_open)]
    return [PlanCancelled(plan_id=state.id, reason=command.reason)]


def _completed(state: Plan, notes: str | None, release_open: bool) -> PlanCompleted:
    """Close a live plan with the outcome its fulfilled commitments add up to.

    Every commitment must have ended (fulfilled, declined, released, no-show), or be released in
    the same append (`release_open`, the service's part): a plan closed with open ones would
    report less than what was promised, and they could still change.
    """
    if state.status not in LIVE_STATES:
        raise Conflict(f"only a published plan can be completed (the plan is {state.status})")
    still_open = [c for slot in state.slots for c in slot.covers if c.status.is_open]
    if still_open and not release_open:
        named = ", ".join(f"{c.commitment_id} ({c.status})" for c in still_open[:NAMED_AT_MOST])
        more = f" and {len(still_open) - NAMED_AT_MOST} more" if len(still_open) > NAMED_AT_MOST else ""
        raise Conflict(
            f"the plan has {len(still_open)} open commitments: {named}{more}; fulfil, release or mark "
            "them first, or complete with release_open: true to release them"
        )
    return outcome_of(state, notes)


def outcome_of(state: Plan, notes: str | None) -> PlanCompleted:
    """The outcome the plan's fulfilled commitments add up to (as corrected)."""
    done = [c for slot in state.slots for c in slot.delivered]
    return PlanCompleted(
        plan_id=state.id,
        service_items=sum(1 for slot in state.slots if slot.fulfilled > 0),
        people_served=sum(c.people_served for c in done),
        volunteer_hours=sum(c.volunteer_hours for c in done),
        units_involved=len({c.unit_id for c in done}),
        notes=notes,
    )


def _slot_added(state: Plan, command: AddSlot) -> SlotAdded:
    if any(slot.id == command.slot_id for slot in state.slots):
        raise Conflict(f"slot {command.slot_id} already exists")
    starts_at, ends_at = _window_of(state, command.starts_at, command.ends_at)
    return SlotAdded(
        plan_id=state.id, slot_id=command.slot_id, category=command.category,
        quantity=command.quantity, starts_at=starts_at, ends_at=ends_at, notes=command.notes,
        measure=command.measure,
    )  # fmt: skip


def _window_of(state: Plan, starts: datetime | None, ends: datetime | None) -> tuple[datetime, datetime]:
    starts_at, ends_at = starts or state.starts_at, ends or state.ends_at
    if starts_at < state.starts_at or ends_at > state.ends_at:
        raise Conflict("a slot's window lies within its plan's window")
    if starts_at >= ends_at:
        raise Conflict("a slot starts before it ends")
    return starts_at, ends_at


def _slot_revised(state: Plan, command: ReviseSlot) -> SlotRevised:
    slot = state.slot(command.slot_id)
    if slot is None:
        raise NotFound("slot", command.slot_id)
    revised = _kept(slot, command)
    starts_at, ends_at = _window_of(state, revised.starts_at, revised.ends_at)
    if slot.covers:
        same = (slot.category, slot.measure, slot.starts_at, slot.ends_at)
        if (revised.category, revised.measure, starts_at, ends_at) != same:
            raise Conflict(
                "commitments name this slot: only its quantity and notes can change, not its "
                "category, measure or window"
            )
        if revised.quantity < slot.committed:
            raise Conflict(f"commitments cover {slot.committed} of this slot: its quantity cannot be less")
    return SlotRevised(
        plan_id=state.id, slot_id=slot.id, category=revised.category, quantity=revised.quantity,
        starts_at=starts_at, ends_at=ends_at, notes=revised.notes, measure=revised.measure,
    )  # fmt: skip


class _RevisedSlot(msgspec.Struct, frozen=True, kw_only=True):
    category: str
    quantity: int
    starts_at: datetime | None
    ends_at: datetime | None
    notes: str | None
    measure: Measure


def _given(value: T | UnsetType, own: T) -> T:
    return own if isinstance(value, UnsetType) else value


def _kept(slot: Slot, command: ReviseSlot) -> _RevisedSlot:
    """The revision's fields, each one it leaves unset the slot's own."""

    return _RevisedSlot(
        category=_given(command.category, slot.category), quantity=_given(command.quantity, slot.quantity),
        starts_at=_given(command.starts_at, slot.starts_at), ends_at=_given(command.ends_at, slot.ends_at),
        notes=_given(command.notes, slot.notes), measure=_given(command.measure, slot.measure),
    )  # fmt: skip


def _slot_removed(state: Plan, slot_id: uuid.UUID) -> SlotRemoved:
    slot = state.slot(slot_id)
    if slot is None:
        raise NotFound("slot", slot_id)
    if slot.covers:
        raise Conflict("commitments name this slot: it cannot be removed (set its quantity instead)")
    return SlotRemoved(plan_id=state.id, slot_id=slot_id)


def _limit_set(state: Plan, slot_id: uuid.UUID, limit: int | None) -> SlotPeopleLimitSet:
    if state.slot(slot_id) is None:
        raise NotFound("slot", slot_id)
    return SlotPeopleLimitSet(plan_id=state.id, slot_id=slot_id, people_served_limit=limit)


def evolve(state: Plan | None, event: Event) -> Plan | None:
    if isinstance(event, PlanDrafted):
        fields = msgspec.structs.asdict(event)
        return Plan(id=fields.pop("plan_id"), **fields)
    if state is None:
        return None
    if isinstance(event, SlotAdded):
        slot = Slot(
            id=event.slot_id, category=event.category, quantity=event.quantity,
            starts_at=event.starts_at, ends_at=event.ends_at, notes=event.notes, measure=event.measure,
        )  # fmt: skip
        return _staffing(msgspec.structs.replace(state, slots=[*state.slots, slot]))
    if isinstance(event, SlotRevised):
        revised = {
            "category": event.category, "quantity": event.quantity, "starts_at": event.starts_at,
            "ends_at": event.ends_at, "notes": event.notes, "measure": event.measure,
        }  # fmt: skip
        slots = [
            msgspec.structs.replace(slot, **revised) if slot.id == event.slot_id else slot
            for slot in state.slots
        ]
        return _staffing(msgspec.structs.replace(state, slots=slots))
    if isinstance(event, SlotRemoved):
        kept = [slot for slot in state.slots if slot.id != event.slot_id]
        return _staffing(msgspec.structs.replace(state, slots=kept))
    if isinstance(event, SlotPeopleLimitSet):
        slots = [
            msgspec.structs.replace(slot, people_served_limit=event.people_served_limit)
            if slot.id == event.slot_id
            else slot
            for slot in state.slots
        ]
        return msgspec.structs.replace(state, slots=slots)
    if isinstance(event, PlanPublished):
        return _staffing(msgspec.structs.replace(state, status="published"))
    if isinstance(event, PlanCancelled):
        return msgspec.structs.replace(state, status="cancelled")
    if isinstance(event, PlanCompleted):
        return msgspec.structs.replace(state, status="completed", outcome=event)
    if isinstance(event, DemandCovered):
        slots = [
            msgspec.structs.replace(slot, covers=demand.updated(slot.covers, event))
            if slot.id == event.slot_id
            else slot
            for slot in state.slots
        ]
        covered = msgspec.structs.replace(state, slots=slots)
        if covered.outcome is not None:
            # A fulfilment corrected after completion: the outcome follows, as the report does.
            covered = msgspec.structs.replace(covered, outcome=outcome_of(covered, covered.outcome.notes))
        return _staffing(covered)
    return state


def _staffing(state: Plan) -> Plan:
    """A live plan is staffed while commitments cover every slot's quantity."""
    if state.status not in LIVE_STATES:
        return state
    staffed = bool(state.slots) and all(slot.uncovered == 0 for slot in state.slots)
    return msgspec.structs.replace(state, status="staffed" if staffed else "published")
