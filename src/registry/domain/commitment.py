"""Commitment (认领 / 派单): an offer's quantity promised to a plan's slot or to a need.

A coordinator dispatches (proposed, the unit accepts or declines) or a unit's liaison claims
(claimed, a coordinator confirms or declines); then confirmed → fulfilled, or declined /
released / no-show. Every step is decided here across the three streams it touches: the
commitment's own, the offer's (capacity held or freed) and the plan's or need's (demand covered).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

import msgspec

from registry.domain.capacity import remaining_in
from registry.domain.errors import Conflict, FieldError, Forbidden, InvalidInput
from registry.domain.events import (
    CapacityFreed,
    CapacityHeld,
    CommitmentClaimed,
    CommitmentConfirmed,
    CommitmentDeclined,
    CommitmentFulfilled,
    CommitmentMade,
    CommitmentNoShow,
    CommitmentProposed,
    CommitmentReleased,
    DemandCovered,
    Event,
    FulfilmentCorrected,
    FulfilmentCorrectionRequested,
)
from registry.domain.need import OPEN_STATES, Need
from registry.domain.offer import Offer
from registry.domain.plan import LIVE_STATES, Plan, Slot
from registry.domain.taxonomy import covers
from registry.domain.values import CommitmentStatus, Measure, covers_window, serves

# Volunteers one unit of a booth, a session, an item or a square metre may take at a time, for
# the bound on volunteer hours (people count themselves, hours are hours).
STAFF_PER_UNIT = 10


class Origin(StrEnum):
    DISPATCH = "dispatch"  # 派单: a coordinator's proposal
    CLAIM = "claim"  # 认领: the unit's own claim


class Side(StrEnum):
    """Who acts on a commitment: the centre's coordinators or the offering unit."""

    CENTRE = "centre"
    UNIT = "unit"


class Correction(msgspec.Struct, frozen=True, kw_only=True):
    """A coordinator's correction of a fulfilment's figures, with the figures it replaced."""

    people_served: int
    volunteer_hours: float
    reason: str
    previous_people_served: int
    previous_volunteer_hours: float


class CorrectionRequest(msgspec.Struct, frozen=True, kw_only=True):
    """The unit's request for a correction, open until a coordinator corrects the figures."""

    reason: str
    people_served: int | None = None
    volunteer_hours: float | None = None


class Commitment(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    offer_id: uuid.UUID
    unit_id: uuid.UUID
    plan_id: uuid.UUID | None
    slot_id: uuid.UUID | None
    need_id: uuid.UUID | None
    need_unit_id: uuid.UUID | None
    category: str
    quantity: int
    starts_at: datetime
    ends_at: datetime
    allocation_id: uuid.UUID | None
    origin: Origin
    status: CommitmentStatus
    people_served: int = 0
    volunteer_hours: float = 0.0
    notes: str | None = None
    reason: str | None = None
    declined_by: str | None = None
    corrections: list[Correction] = []
    # Requests made since the last correction (a correction answers them).
    correction_requests: list[CorrectionRequest] = []

    @property
    def window_hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


class Circumstances(msgspec.Struct, frozen=True, kw_only=True):
    """What a step is decided against besides the commitment: the time, and what it goes to."""

    now: datetime
    # "the plan is completed": a closed plan's commitments take no further step, so its outcome
    # stays what its report says (None: open, or a need).
    closed: str | None = None
    # The offer's measure, and the slot's or need's bound on people served by one commitment.
    measure: Measure = Measure.PEOPLE
    people_limit: int
    people_limit_from: str = "the slot's or need's bound"

    def require_open(self) -> None:
        if self.closed is not None:
            raise Conflict(f"{self.closed}: its commitments take no further step")


class Target(msgspec.Struct, frozen=True, kw_only=True):
    """What a commitment goes to: a plan's slot or a need, with the demand still uncovered."""

    plan_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    need_id: uuid.UUID | None = None
    need_unit_id: uuid.UUID | None = None
    category: str
    starts_at: datetime
    ends_at: datetime
    # What the quantity counts: only an offer of the same measure can meet it.
    measure: Measure = Measure.PEOPLE
    # The place served (the plan's area, or the needing unit's), for the offer's service area.
    place: str | None
    uncovered: int
    # Whether commitments can still be made at all, and whether units may claim (a live plan).
    accepting: bool
    open_for_claims: bool


def slot_target(plan: Plan, slot: Slot) -> Target:
    return Target(
        plan_id=plan.id, slot_id=slot.id, category=slot.category, starts_at=slot.starts_at,
        ends_at=slot.ends_at, measure=slot.measure, place=plan.area, uncovered=slot.uncovered,
        accepting=plan.status in ("draft", *LIVE_STATES), open_for_claims=plan.status in LIVE_STATES,
    )  # fmt: skip


def need_target(need: Need, place: str | None) -> Target:
    """A need's target; `place` is the needing unit's area."""
    live = need.status in OPEN_STATES
    return Target(
        need_id=need.id, need_unit_id=need.unit_id, category=need.category, starts_at=need.starts_at,
        ends_at=need.ends_at, measure=need.measure, place=place, uncovered=need.uncovered,
        accepting=live, open_for_claims=live,
    )  # fmt: skip


class Effects(msgspec.Struct, frozen=True, kw_only=True):
    """Events for each stream one step touches; empty lists leave a stream alone."""

    commitment: list[Event]
    offer: list[Event] = []
    target: list[Event] = []


def make(
    *,
    commitment_id: uuid.UUID,
    offer: Offer,
    target: Target,
    quantity: int,
    origin: Origin,
    now: datetime,
    allocation_id: uuid.UUID | None = None,
) -> Effects:
    """Propose or claim `quantity` of `offer` for `target` at `now`, if every rule of matching
    allows it."""
    if not target.accepting:
        raise Conflict("the plan or need is closed to new commitments")
    _check_fit(offer, target, now)
    if origin == Origin.CLAIM and not target.open_for_claims:
        raise Conflict("only a published plan's slots and open needs can be claimed")
    left = remaining_in(offer.capacity.quantity, offer.holds, target.starts_at, target.ends_at)
    if quantity > left:
        raise Conflict(f"the offer has {left} left in that window; {quantity} asked")
    if quantity > target.uncovered:
        raise Conflict(f"only {target.uncovered} of the demand is still uncovered; {quantity} offered")
    made_type = CommitmentProposed if origin == Origin.DISPATCH else CommitmentClaimed
    made = made_type(
        commitment_id=commitment_id, offer_id=offer.id, unit_id=offer.unit_id,
        plan_id=target.plan_id, slot_id=target.slot_id, need_id=target.need_id,
        need_unit_id=target.need_unit_id, category=offer.category, quantity=quantity,
        starts_at=target.starts_at, ends_at=target.ends_at, allocation_id=allocation_id,
    )  # fmt: skip
    held = CapacityHeld(
        offer_id=offer.id, commitment_id=commitment_id, quantity=quantity,
        starts_at=target.starts_at, ends_at=target.ends_at,
    )  # fmt: skip
    status = CommitmentStatus.PROPOSED if origin == Origin.DISPATCH else CommitmentStatus.CLAIMED
    return Effects(commitment=[made], offer=[held], target=[_covered(evolve_made(made, origin), status)])


def _check_fit(offer: Offer, target: Target, now: datetime) -> None:
    if offer.status != "active":
        raise Conflict(f"the offer is {offer.status}; only an active offer can be committed")
    if offer.expired(now):
        raise Conflict(f"the offer expired: it was valid until {offer.valid_until}")
    if offer.capacity.measure != target.measure:
        what = "slot" if target.slot_id is not None else "need"
        raise Conflict(
            f"the offer is measured in {offer.capacity.measure} and the {what} in {target.measure}: "
            "only equal measures pair"
        )
    if not covers(target.category, offer.category):
        raise Conflict(f"the offer's category {offer.category} does not fit {target.category}")
    if not covers_window(offer.availability, target.starts_at, target.ends_at):
        raise Conflict("the offer is not available for the whole window")
    if not serves(offer.service_area, target.place):
        raise Conflict(f"the offer does not serve {target.place}")
    if target.need_unit_id is not None and target.need_unit_id == offer.unit_id:
        raise Conflict("a unit's own offer cannot meet its own need")


def confirm(state: Commitment, side: Side, at: Circumstances) -> Effects:
    """The other side accepts: the unit a dispatch, the centre a claim."""
    at.require_open()
    awaiting = CommitmentStatus.PROPOSED if side == Side.UNIT else CommitmentStatus.CLAIMED
    if state.status not in (CommitmentStatus.PROPOSED, CommitmentStatus.CLAIMED):
        raise Conflict(f"the commitment is {state.status}; only a proposed or claimed one is confirmed")
    if state.status != awaiting:
        raise Forbidden(
            "a commitment is confirmed by the other side: the unit a dispatch, the centre a claim"
        )
    return Effects(
        commitment=[CommitmentConfirmed(commitment_id=state.id)],
        target=[_covered(state, CommitmentStatus.CONFIRMED)],
    )


def decline(state: Commitment, reason: str | None, side: Side, at: Circumstances) -> Effects:
    at.require_open()
    if state.status not in (CommitmentStatus.PROPOSED, CommitmentStatus.CLAIMED):
        raise Conflict(f"the commitment is {state.status}; only a proposed or claimed one is declined")
    declined = CommitmentDeclined(commitment_id=state.id, reason=reason, by=side.value)
    return _ended(state, declined, CommitmentStatus.DECLINED)


def release(state: Commitment, reason: str | None, at: Circumstances | None = None) -> Effects:
    """Let an open commitment go; `at` is None when the closing of its offer, plan or need does."""
    if at is not None:
        at.require_open()
    if not state.status.is_open:
        raise Conflict(f"the commitment is {state.status} and can no longer be released")
    return _ended(state, CommitmentReleased(commitment_id=state.id, reason=reason), CommitmentStatus.RELEASED)


def no_show(state: Commitment, at: Circumstances) -> Effects:
    at.require_open()
    if state.status != CommitmentStatus.CONFIRMED:
        raise Conflict(f"the commitment is {state.status}; only a confirmed one can be a no-show")
    return _ended(state, CommitmentNoShow(commitment_id=state.id), CommitmentStatus.NO_SHOW)


def fulfil(
    state: Commitment, people_served: int, volunteer_hours: float, notes: str | None, at: Circumstances
) -> Effects:
    """The service was delivered (晒单). The capacity stays used: its window was spent."""
    at.require_open()
    if state.status != CommitmentStatus.CONFIRMED:
        raise Conflict(f"the commitment is {state.status}; only a confirmed one can be fulfilled")
    if at.now < state.starts_at:
        raise Conflict(
            f"the commitment's window starts at {state.starts_at.isoformat()}; "
            "what it delivered can be recorded from then"
        )
    check_figures(state, people_served, volunteer_hours, at)
    done = CommitmentFulfilled(
        commitment_id=state.id, people_served=people_served, volunteer_hours=volunteer_hours, notes=notes
    )
    covered = _covered(state, CommitmentStatus.FULFILLED, people_served, volunteer_hours)
    return Effects(commitment=[done], target=[covered])


def correct(
    state: Commitment, people_served: int, volunteer_hours: float, reason: str, at: Circumstances
) -> Effects:
    """A coordinator corrects a fulfilment's figures, within the same bounds, even once the plan
    is completed (its outcome follows the correction, as its report does)."""
    if state.status != CommitmentStatus.FULFILLED:
        raise Conflict(f"the commitment is {state.status}; only a fulfilled one can be corrected")
    check_figures(state, people_served, volunteer_hours, at)
    corrected = FulfilmentCorrected(
        commitment_id=state.id, people_served=people_served, volunteer_hours=volunteer_hours,
        reason=reason, previous_people_served=state.people_served,
        previous_volunteer_hours=state.volunteer_hours,
    )  # fmt: skip
    covered = _covered(state, CommitmentStatus.FULFILLED, people_served, volunteer_hours)
    return Effects(commitment=[corrected], target=[covered])


def request_correction(
    state: Commitment,
    reason: str,
    people_served: int | None,
    volunteer_hours: float | None,
    at: Circumstances,
) -> Effects:
    """The offering unit asks the centre to correct a fulfilment (the centre decides)."""
    if state.status != CommitmentStatus.FULFILLED:
        raise Conflict(f"the commitment is {state.status}; only a fulfilment can be corrected")
    check_figures(
        state,
        people_served if people_served is not None else 0,
        volunteer_hours if volunteer_hours is not None else 0.0,
        at,
    )
    asked = FulfilmentCorrectionRequested(
        commitment_id=state.id, reason=reason, people_served=people_served, volunteer_hours=volunteer_hours
    )
    return Effects(commitment=[asked])


def hours_limit(state: Commitment, measure: Measure) -> tuple[float, str]:
    """The most volunteer hours a commitment can have given, and how that bound is made."""
    hours = state.window_hours
    if measure == Measure.HOURS:
        return float(state.quantity), f"the commitment's {state.quantity} hours"
    if measure == Measure.PEOPLE:
        people = "1 person" if state.quantity == 1 else f"{state.quantity} people"
        return state.quantity * hours, f"{people} × {hours:g} hours"
    staff = state.quantity * STAFF_PER_UNIT
    return staff * hours, f"{state.quantity} {measure} × {STAFF_PER_UNIT} volunteers × {hours:g} hours"


# Hours arrive as decimals: a bound of 3 × 1⅓ hours must not refuse 4.
_HOURS_SLACK = 1e-6


def check_figures(state: Commitment, people_served: int, volunteer_hours: float, at: Circumstances) -> None:
    """400 naming each figure over its bound, and the bound."""
    found = []
    limit, made_of = hours_limit(state, at.measure)
    if volunteer_hours > limit + _HOURS_SLACK:
        found.append(FieldError("volunteer_hours", f"at most {limit:g} ({made_of})"))
    if people_served > at.people_limit:
        found.append(FieldError("people_served", f"at most {at.people_limit} ({at.people_limit_from})"))
    if found:
        raise InvalidInput(found)


def _ended(state: Commitment, event: Event, status: CommitmentStatus) -> Effects:
    return Effects(
        commitment=[event],
        offer=[CapacityFreed(offer_id=state.offer_id, commitment_id=state.id)],
        target=[_covered(state, status)],
    )


def _covered(
    state: Commitment, status: CommitmentStatus, people_served: int = 0, volunteer_hours: float = 0.0
) -> DemandCovered:
    return DemandCovered(
        plan_id=state.plan_id, slot_id=state.slot_id, need_id=state.need_id, commitment_id=state.id,
        unit_id=state.unit_id, quantity=state.quantity, status=status,
        people_served=people_served, volunteer_hours=volunteer_hours,
    )  # fmt: skip


def evolve_made(event: CommitmentMade, origin: Origin) -> Commitment:
    fields = msgspec.structs.asdict(event)
    status = CommitmentStatus.PROPOSED if origin == Origin.DISPATCH else CommitmentStatus.CLAIMED
    return Commitment(id=fields.pop("commitment_id"), origin=origin, status=status, **fields)


def evolve(state: Commitment | None, event: Event) -> Commitment | None:
    if isinstance(event, CommitmentProposed):
        return evolve_made(event, Origin.DISPATCH)
    if isinstance(event, CommitmentClaimed):
        return evolve_made(event, Origin.CLAIM)
    if state is None:
        return None
    if isinstance(event, CommitmentConfirmed):
        return msgspec.structs.replace(state, status=CommitmentStatus.CONFIRMED)
    if isinstance(event, CommitmentDeclined):
        return msgspec.structs.replace(
            state, status=CommitmentStatus.DECLINED, reason=event.reason, declined_by=event.by
        )
    if isinstance(event, CommitmentReleased):
        return msgspec.structs.replace(state, status=CommitmentStatus.RELEASED, reason=event.reason)
    if isinstance(event, CommitmentNoShow):
        return msgspec.structs.replace(state, status=CommitmentStatus.NO_SHOW)
    if isinstance(event, CommitmentFulfilled):
        return msgspec.structs.replace(
            state, status=CommitmentStatus.FULFILLED, people_served=event.people_served,
            volunteer_hours=event.volunteer_hours, notes=event.notes,
        )  # fmt: skip
    if isinstance(event, FulfilmentCorrected):
        correction = Correction(
            people_served=event.people_served, volunteer_hours=event.volunteer_hours, reason=event.reason,
            previous_people_served=event.previous_people_served,
            previous_volunteer_hours=event.previous_volunteer_hours,
        )  # fmt: skip
        return msgspec.structs.replace(
            state, people_served=event.people_served, volunteer_hours=event.volunteer_hours,
            corrections=[*state.corrections, correction], correction_requests=[],
        )  # fmt: skip
    if isinstance(event, FulfilmentCorrectionRequested):
        asked = CorrectionRequest(
            reason=event.reason, people_served=event.people_served, volunteer_hours=event.volunteer_hours
        )
        return msgspec.structs.replace(state, correction_requests=[*state.correction_requests, asked])
    return state
