"""Revising and removing a plan's slot, pure: given these events, when this command, then these
events (or this error). A slot no commitment names may change in every field or be taken out;
once commitments name it, only its quantity (not below what they cover) and notes may change."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from registry.domain import plan
from registry.domain.errors import Conflict, NotFound
from registry.domain.events import (
    DemandCovered,
    PlanCancelled,
    PlanDrafted,
    PlanPublished,
    SlotAdded,
    SlotRemoved,
    SlotRevised,
)
from registry.domain.values import CommitmentStatus, Measure

PLAN = uuid.UUID(int=1)
SLOT = uuid.UUID(int=2)
OTHER = uuid.UUID(int=3)
START = datetime(2026, 10, 17, 1, tzinfo=UTC)
END = START + timedelta(hours=3)
DRAFTED = PlanDrafted(
    plan_id=PLAN, title="秋收集市", venue="广场", area="虹口区/欧阳路街道", starts_at=START, ends_at=END
)
ADDED = SlotAdded(
    plan_id=PLAN, slot_id=SLOT, category="repair.shoe", quantity=2, starts_at=START, ends_at=END, notes="东侧"
)
COVERED = DemandCovered(
    plan_id=PLAN, slot_id=SLOT, commitment_id=uuid.UUID(int=9), unit_id=uuid.UUID(int=8), quantity=2,
    status=CommitmentStatus.CONFIRMED,
)  # fmt: skip


def given(*events: object) -> plan.Plan:
    state = None
    for event in events:
        state = plan.evolve(state, event)  # type: ignore[arg-type]
    assert state is not None
    return state


def revise(**changed: object) -> plan.ReviseSlot:
    fields: dict[str, object] = {
        "plan_id": PLAN, "slot_id": SLOT, "category": "repair.shoe", "quantity": 2,
        "starts_at": START, "ends_at": END, "notes": "东侧",
    }  # fmt: skip
    return plan.ReviseSlot(**(fields | changed))  # type: ignore[arg-type]


def test_a_slot_no_commitment_names_changes_in_every_field() -> None:
    later = START + timedelta(hours=1)
    command = revise(
        category="repair.umbrella", quantity=5, starts_at=later, notes=None, measure=Measure.BOOTHS
    )
    [revised] = plan.decide(given(DRAFTED, ADDED), command)
    assert revised == SlotRevised(
        plan_id=PLAN, slot_id=SLOT, category="repair.umbrella", quantity=5, starts_at=later, ends_at=END,
        notes=None, measure=Measure.BOOTHS,
    )  # fmt: skip
    [slot] = given(DRAFTED, ADDED, revised).slots
    assert (slot.category, slot.quantity, slot.starts_at, slot.measure) == (
        "repair.umbrella", 5, later, Measure.BOOTHS,
    )  # fmt: skip


def test_a_revised_window_defaults_to_the_plan_and_lies_within_it() -> None:
    [revised] = plan.decide(given(DRAFTED, ADDED), revise(starts_at=None, ends_at=None))
    assert isinstance(revised, SlotRevised) and (revised.starts_at, revised.ends_at) == (START, END)
    with pytest.raises(Conflict, match="within its plan's window"):
        plan.decide(given(DRAFTED, ADDED), revise(ends_at=END + timedelta(minutes=1)))


def test_a_slot_commitments_name_keeps_its_category_measure_and_window() -> None:
    covered = given(DRAFTED, ADDED, PlanPublished(plan_id=PLAN), COVERED)
    for change in ({"category": "repair.umbrella"}, {"measure": Measure.BOOTHS},
                   {"starts_at": START + timedelta(hours=1)}):  # fmt: skip
        with pytest.raises(Conflict, match="only its quantity and notes"):
            plan.decide(covered, revise(**change))
    with pytest.raises(Conflict, match="cover 2"):
        plan.decide(covered, revise(quantity=1))
    [revised] = plan.decide(covered, revise(quantity=4, notes="加两个摊位"))
    after = given(DRAFTED, ADDED, PlanPublished(plan_id=PLAN), COVERED, revised)
    assert after.slots[0].quantity == 4 and after.status == "published"


def test_raising_a_covered_slots_quantity_unstaffs_the_plan() -> None:
    staffed = given(DRAFTED, ADDED, PlanPublished(plan_id=PLAN), COVERED)
    assert staffed.status == "staffed"
    [revised] = plan.decide(staffed, revise(quantity=3))
    assert plan.evolve(staffed, revised).status == "published"  # type: ignore[union-attr]


def test_only_a_slot_no_commitment_names_is_removed() -> None:
    [removed] = plan.decide(given(DRAFTED, ADDED), plan.RemoveSlot(plan_id=PLAN, slot_id=SLOT))
    assert removed == SlotRemoved(plan_id=PLAN, slot_id=SLOT)
    assert given(DRAFTED, ADDED, removed).slots == []
    with pytest.raises(Conflict, match="cannot be removed"):
        plan.decide(given(DRAFTED, ADDED, COVERED), plan.RemoveSlot(plan_id=PLAN, slot_id=SLOT))


def test_an_unknown_slot_or_a_closed_plan_is_refused() -> None:
    with pytest.raises(NotFound):
        plan.decide(given(DRAFTED, ADDED), plan.RemoveSlot(plan_id=PLAN, slot_id=OTHER))
    with pytest.raises(NotFound):
        plan.decide(given(DRAFTED, ADDED), revise(slot_id=OTHER))
    cancelled = given(DRAFTED, ADDED, PlanCancelled(plan_id=PLAN))
    with pytest.raises(Conflict, match="can no longer change"):
        plan.decide(cancelled, plan.RemoveSlot(plan_id=PLAN, slot_id=SLOT))


def test_a_revision_keeps_every_field_it_leaves_unset() -> None:
    """The API's PATCH: only the fields given change; an unset window keeps the slot's own
    (not the plan's, which a null gives)."""
    later = START + timedelta(hours=1)
    narrowed = plan.decide(given(DRAFTED, ADDED), revise(starts_at=later, measure=Measure.BOOTHS))
    state = given(DRAFTED, ADDED, *narrowed)
    [revised] = plan.decide(state, plan.ReviseSlot(plan_id=PLAN, slot_id=SLOT, quantity=7))
    assert revised == SlotRevised(
        plan_id=PLAN, slot_id=SLOT, category="repair.shoe", quantity=7, starts_at=later, ends_at=END,
        notes="东侧", measure=Measure.BOOTHS,
    )  # fmt: skip
