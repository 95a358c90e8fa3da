"""Fulfilment's rules, pure: given a commitment and its circumstances, when a step, then events."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from registry.domain import commitment, demand, need, plan
from registry.domain.commitment import Circumstances, Commitment, Origin
from registry.domain.demand import Cover
from registry.domain.errors import Conflict, InvalidInput
from registry.domain.events import (
    CommitmentFulfilled,
    DemandCovered,
    FulfilmentCorrected,
    NeedPeopleLimitSet,
    NeedRaised,
    PlanDrafted,
    PlanPublished,
    SlotAdded,
    SlotPeopleLimitSet,
)
from registry.domain.values import CommitmentStatus, Measure

STARTS = datetime.now(UTC).replace(microsecond=0) + timedelta(days=9)
SLOT = uuid.UUID(int=3)
PLAN = uuid.UUID(int=4)


def confirmed(quantity: int = 2, hours: float = 3) -> Commitment:
    return Commitment(
        id=uuid.UUID(int=1), offer_id=uuid.UUID(int=2), unit_id=uuid.UUID(int=5), plan_id=PLAN,
        slot_id=SLOT, need_id=None, need_unit_id=None, category="repair.umbrella", quantity=quantity,
        starts_at=STARTS, ends_at=STARTS + timedelta(hours=hours), allocation_id=None,
        origin=Origin.DISPATCH, status=CommitmentStatus.CONFIRMED,
    )  # fmt: skip


def at(
    measure: Measure = Measure.PEOPLE, people_limit: int = 200, closed: str | None = None
) -> Circumstances:
    return Circumstances(now=STARTS, measure=measure, people_limit=people_limit, closed=closed)


def hours_error(state: Commitment, hours: float, measure: Measure) -> str | None:
    try:
        commitment.fulfil(state, 0, hours, None, at(measure))
    except InvalidInput as error:
        return next(e.message for e in error.errors if e.field == "volunteer_hours")
    return None


@pytest.mark.parametrize(
    ("measure", "most", "bound"),
    [
        pytest.param(Measure.PEOPLE, 6, "at most 6 (2 people × 3 hours)", id="people: quantity × hours"),
        pytest.param(Measure.HOURS, 2, "at most 2 (the commitment's 2 hours)", id="hours: the quantity"),
        pytest.param(
            Measure.BOOTHS, 60, "at most 60 (2 booths × 10 volunteers × 3 hours)", id="booths: ten staff each"
        ),
    ],
)
def test_volunteer_hours_are_bounded_by_the_measure(measure: Measure, most: float, bound: str) -> None:
    state = confirmed(quantity=2, hours=3)
    assert hours_error(state, most, measure) is None
    assert hours_error(state, most + 0.01, measure) == bound


def test_a_window_of_a_third_of_an_hour_does_not_refuse_its_exact_bound() -> None:
    state = confirmed(quantity=3, hours=4 / 3)
    assert hours_error(state, 4, Measure.PEOPLE) is None


def test_fulfilling_emits_the_fulfilment_and_where_the_demand_stands() -> None:
    state = confirmed()
    effects = commitment.fulfil(state, 40, 5, "好", at())
    assert effects.commitment == [
        CommitmentFulfilled(commitment_id=state.id, people_served=40, volunteer_hours=5, notes="好")
    ]
    assert [e.status for e in effects.target if isinstance(e, DemandCovered)] == [CommitmentStatus.FULFILLED]


def test_a_step_on_a_closed_plans_commitment_is_refused_but_its_cascade_release_is_not() -> None:
    closed = at(closed="the plan is completed")
    with pytest.raises(Conflict, match="the plan is completed"):
        commitment.fulfil(confirmed(), 1, 1, None, closed)
    with pytest.raises(Conflict, match="the plan is completed"):
        commitment.release(confirmed(), None, closed)
    assert commitment.release(confirmed(), "plan cancelled").commitment


def test_a_correction_records_the_figures_it_replaces_and_answers_the_requests() -> None:
    state = commitment.evolve(confirmed(), CommitmentFulfilled(commitment_id=confirmed().id, people_served=40,
                                                                volunteer_hours=5))  # fmt: skip
    assert state is not None
    asked = commitment.request_correction(state, "多算了", 30, None, at()).commitment
    state = commitment.evolve(state, asked[0])
    assert state is not None and len(state.correction_requests) == 1
    effects = commitment.correct(state, 30, 4, "核对", at())
    assert effects.commitment == [
        FulfilmentCorrected(commitment_id=state.id, people_served=30, volunteer_hours=4, reason="核对",
                            previous_people_served=40, previous_volunteer_hours=5),
    ]  # fmt: skip
    after = commitment.evolve(state, effects.commitment[0])
    assert after is not None
    assert (after.people_served, after.volunteer_hours, after.correction_requests) == (30, 4, [])


def test_a_cover_corrected_twice_keeps_the_figures_first_reported() -> None:
    def covered(people: int) -> DemandCovered:
        return DemandCovered(
            plan_id=PLAN, slot_id=SLOT, commitment_id=uuid.UUID(int=1), unit_id=uuid.UUID(int=5),
            quantity=2, status=CommitmentStatus.FULFILLED, people_served=people,
        )  # fmt: skip

    covers: list[Cover] = []
    for people in (40, 30, 20):
        covers = demand.updated(covers, covered(people))
    assert (covers[0].people_served, covers[0].as_reported[0], covers[0].corrected) == (20, 40, True)


DRAFTED = PlanDrafted(plan_id=PLAN, title="集市", venue="中心", area="虹口区", starts_at=STARTS,
                      ends_at=STARTS + timedelta(hours=8), expected_attendance=None)  # fmt: skip
SLOT_ADDED = SlotAdded(plan_id=PLAN, slot_id=SLOT, category="repair", quantity=3, starts_at=STARTS,
                       ends_at=STARTS + timedelta(hours=3))  # fmt: skip


def test_a_slots_bound_is_its_own_else_the_attendance_else_a_hundred_per_unit() -> None:
    state = plan.evolve(plan.evolve(None, DRAFTED), SLOT_ADDED)
    assert state is not None
    assert state.people_limit(state.slots[0]) == (300, "100 × the slot's quantity 3")
    limited = plan.evolve(state, SlotPeopleLimitSet(plan_id=PLAN, slot_id=SLOT, people_served_limit=50))
    assert limited is not None and limited.people_limit(limited.slots[0])[0] == 50


def test_adding_a_slot_with_a_bound_records_both_in_one_decision() -> None:
    state = plan.evolve(plan.evolve(None, DRAFTED), PlanPublished(plan_id=PLAN))
    add = plan.AddSlot(plan_id=PLAN, slot_id=SLOT, category="repair", quantity=3, people_served_limit=9)
    assert [type(e) for e in plan.decide(state, add)] == [SlotAdded, SlotPeopleLimitSet]


def test_a_needs_bound_can_be_set_even_once_it_is_closed() -> None:
    raised = NeedRaised(need_id=PLAN, unit_id=uuid.UUID(int=5), category="volunteers", title="志愿者",
                        quantity=2, starts_at=STARTS, ends_at=STARTS + timedelta(hours=3))  # fmt: skip
    opened = need.evolve(None, raised)
    state = need.evolve(opened, need.decide(opened, need.CloseNeed(need_id=PLAN))[0])
    assert state is not None and state.people_limit == (200, "100 × the need's quantity 2")
    events = need.decide(state, need.SetNeedPeopleLimit(need_id=PLAN, people_served_limit=7))
    assert events == [NeedPeopleLimitSet(need_id=PLAN, people_served_limit=7)]
