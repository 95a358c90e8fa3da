"""The domain, pure: given these events, when this command, then these events (or this error)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from registry.domain import need, offer, plan, token, unit
from registry.domain.errors import Conflict, InvalidInput
from registry.domain.events import (
    CapacityHeld,
    Event,
    NeedCancelled,
    NeedRaised,
    OfferPaused,
    OfferRevised,
    OfferSubmitted,
    OfferWithdrawn,
    PlanDrafted,
    PlanPublished,
    SlotAdded,
    TokenIssued,
    TokenRevoked,
    UnitProfileUpdated,
    UnitRegistered,
)
from registry.domain.values import Capacity, Measure, Role, UnitKind, Urgency

ID = uuid.UUID(int=1)
UNIT = uuid.UUID(int=2)
T9 = datetime(2026, 10, 17, 1, tzinfo=UTC)
T12 = datetime(2026, 10, 17, 4, tzinfo=UTC)


def given(evolve: Callable[[Any, Event], Any], *events: Event) -> Any:
    state = None
    for event in events:
        state = evolve(state, event)
    return state


def _fields(event: Event) -> dict[str, Any]:
    return msgspec.structs.asdict(event)


SUBMITTED = OfferSubmitted(
    offer_id=ID, unit_id=UNIT, category="repair.umbrella", title="修伞",
    capacity=Capacity(quantity=5, measure=Measure.BOOTHS),
)  # fmt: skip


def test_submitting_an_offer_records_it_active() -> None:
    cmd = offer.SubmitOffer(**_fields(SUBMITTED))
    assert offer.decide(None, cmd) == [SUBMITTED]
    assert given(offer.evolve, SUBMITTED).status == "active"
    assert given(offer.evolve, SUBMITTED).remaining == 5


def test_revising_records_only_the_fields_that_change() -> None:
    state = given(offer.evolve, SUBMITTED)
    events = offer.decide(state, offer.ReviseOffer(offer_id=ID, title="修伞", tags=["便民"]))
    assert events == [OfferRevised(offer_id=ID, tags=["便民"])]
    assert offer.decide(state, offer.ReviseOffer(offer_id=ID, title="修伞")) == []


@pytest.mark.parametrize(
    ("history", "command", "expected"),
    [
        ((), offer.PauseOffer(offer_id=ID), Conflict),
        ((SUBMITTED,), offer.PauseOffer(offer_id=ID), [OfferPaused(offer_id=ID)]),
        ((SUBMITTED,), offer.ResumeOffer(offer_id=ID), Conflict),
        ((SUBMITTED, OfferPaused(offer_id=ID)), offer.PauseOffer(offer_id=ID), Conflict),
        ((SUBMITTED, OfferWithdrawn(offer_id=ID)), offer.ReviseOffer(offer_id=ID, title="x"), Conflict),
        ((SUBMITTED, OfferWithdrawn(offer_id=ID)), offer.WithdrawOffer(offer_id=ID), Conflict),
        ((SUBMITTED,), offer.SubmitOffer(**_fields(SUBMITTED)), Conflict),
    ],
)
def test_offer_lifecycle(history: tuple[Event, ...], command: Any, expected: Any) -> None:
    state = given(offer.evolve, *history)
    if isinstance(expected, type):
        with pytest.raises(expected):
            offer.decide(state, command)
    else:
        assert offer.decide(state, command) == expected


def test_capacity_cannot_fall_below_what_is_committed_at_one_time() -> None:
    morning, noon, evening = (datetime(2026, 10, 24, h, tzinfo=UTC) for h in (1, 4, 9))
    held = [
        CapacityHeld(offer_id=ID, commitment_id=uuid.uuid4(), quantity=q, starts_at=s, ends_at=e)
        for q, s, e in ((3, morning, noon), (1, morning, evening), (2, noon, evening))
    ]
    state = given(offer.evolve, SUBMITTED, *held)
    assert state.remaining == state.capacity.quantity - 4
    with pytest.raises(Conflict, match="below the 4 already committed"):
        offer.decide(
            state, offer.ReviseOffer(offer_id=ID, capacity=Capacity(quantity=3, measure=Measure.BOOTHS))
        )


def test_unit_profile_update_records_changes() -> None:
    registered = UnitRegistered(
        unit_id=UNIT, name="城管欧阳中队", kind=UnitKind.AGENCY, area="虹口区/欧阳路街道"
    )
    state = given(unit.evolve, registered)
    events = unit.decide(state, unit.UpdateUnitProfile(unit_id=UNIT, address="欧阳路 1 号"))
    assert events == [UnitProfileUpdated(unit_id=UNIT, address="欧阳路 1 号")]
    assert given(unit.evolve, registered, *events).address == "欧阳路 1 号"
    with pytest.raises(Conflict):
        unit.decide(None, unit.UpdateUnitProfile(unit_id=UNIT, name="x"))


RAISED = NeedRaised(
    need_id=ID, unit_id=UNIT, category="volunteers.crowd-guidance", title="客流引导",
    quantity=10, starts_at=T9, ends_at=T12, urgency=Urgency.HIGH,
)  # fmt: skip


def test_need_can_be_cancelled_once() -> None:
    state = given(need.evolve, RAISED)
    assert need.decide(state, need.CancelNeed(need_id=ID)) == [NeedCancelled(need_id=ID)]
    cancelled = given(need.evolve, RAISED, NeedCancelled(need_id=ID))
    with pytest.raises(Conflict):
        need.decide(cancelled, need.CloseNeed(need_id=ID))


DRAFTED = PlanDrafted(
    plan_id=ID, title="秋收篇", venue="中心", area="虹口区/欧阳路街道", starts_at=T9, ends_at=T12
)


def test_slot_defaults_to_the_plan_window_and_must_lie_within_it() -> None:
    state = given(plan.evolve, DRAFTED)
    slot = uuid.UUID(int=9)
    [added] = plan.decide(state, plan.AddSlot(plan_id=ID, slot_id=slot, category="repair.shoe", quantity=1))
    assert added == SlotAdded(
        plan_id=ID, slot_id=slot, category="repair.shoe", quantity=1, starts_at=T9, ends_at=T12
    )
    late = datetime(2026, 10, 17, 5, tzinfo=UTC)
    with pytest.raises(Conflict, match="within"):
        plan.decide(
            state,
            plan.AddSlot(plan_id=ID, slot_id=slot, category="x", quantity=1, starts_at=T9, ends_at=late),
        )
    with pytest.raises(Conflict, match="already exists"):
        plan.decide(
            given(plan.evolve, DRAFTED, added),
            plan.AddSlot(plan_id=ID, slot_id=slot, category="x", quantity=1),
        )


def test_only_a_draft_is_published() -> None:
    published = given(plan.evolve, DRAFTED, PlanPublished(plan_id=ID))
    assert published.status == "published"
    with pytest.raises(Conflict):
        plan.decide(published, plan.PublishPlan(plan_id=ID))


def test_liaison_tokens_need_a_unit_and_revoking_twice_is_a_no_op() -> None:
    with pytest.raises(InvalidInput):
        token.decide(None, token.IssueToken(token_id=ID, role=Role.LIAISON, secret_hash="h"))
    with pytest.raises(InvalidInput):
        token.decide(None, token.IssueToken(token_id=ID, role=Role.AUDITOR, unit_id=UNIT, secret_hash="h"))
    issued = TokenIssued(token_id=ID, role=Role.AUDITOR, secret_hash="h")
    state = given(token.evolve, issued)
    assert token.decide(state, token.RevokeToken(token_id=ID)) == [TokenRevoked(token_id=ID)]
    assert (
        token.decide(given(token.evolve, issued, TokenRevoked(token_id=ID)), token.RevokeToken(token_id=ID))
        == []
    )
