"""Why one offer is a better match than another: seven factors, each a value in [0, 1] with a weight.

The score is the weighted mean of the factors, and every factor is returned with its value and
weight, so a coordinator sees why a candidate ranks where it does. Hard rules (category, time,
place, capacity, status) are filters applied before scoring; these only order what passed.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, NamedTuple

import msgspec

from registry.domain.capacity import Hold, remaining_in
from registry.domain.values import Measure

Weight = Annotated[float, msgspec.Meta(ge=0, le=100)]


class Weights(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How much each factor counts (settings; an allocation records the ones it used)."""

    category_fit: Weight = 3.0
    time_coverage: Weight = 1.0
    capacity_fit: Weight = 2.0
    proximity: Weight = 2.0
    reliability: Weight = 2.0
    fairness: Weight = 1.0
    reciprocity: Weight = 1.0


FACTORS: tuple[str, ...] = tuple(Weights.__struct_fields__)


class Tuning(msgspec.Struct, frozen=True, kw_only=True):
    """Where the history factors saturate."""

    # This many commitments in the month make a unit "fully used" (fairness 0).
    busy_commitments: int = 10
    # This much help received recently gives the full reciprocity nudge.
    received_for_full_nudge: int = 5


# gc=False: an answer holds thousands of these (seven a candidate) and none can be part of a
# cycle (strings and numbers; a Candidate only a list of Factors), so the cycle collector need
# neither count nor walk them.
class Factor(msgspec.Struct, frozen=True, gc=False):
    name: str
    value: float
    weight: float


class Demand(msgspec.Struct, frozen=True, kw_only=True):
    """What is to be matched: a slot or a need, and how much of it is still uncovered."""

    category: str
    starts_at: datetime
    ends_at: datetime
    quantity: int
    # The place served (an area path), or None for anywhere.
    place: str | None
    # What the quantity counts: only offers measured the same way are candidates.
    measure: Measure = Measure.PEOPLE


class OfferFacts(msgspec.Struct, frozen=True, kw_only=True):
    """An offer that passed the hard filters, with what scoring needs to know about it."""

    offer_id: uuid.UUID
    unit_id: uuid.UUID
    unit_area: str
    category: str
    title: str
    capacity: int
    holds: list[Hold]
    # Length of the availability range that covers the demand's window.
    covering_seconds: float


class UnitHistory(msgspec.Struct, frozen=True, kw_only=True):
    """A unit's record, as of the position matched at."""

    fulfilled: int = 0
    # Dispatches the unit declined, and confirmed commitments it did not honour.
    declined: int = 0
    no_shows: int = 0
    # Commitments of the unit in the demand's month (Asia/Shanghai).
    committed_this_month: int = 0
    # Quantity the unit's own needs received recently (see settings).
    received_recently: int = 0


class Candidate(msgspec.Struct, frozen=True, kw_only=True, gc=False):  # as Factor
    offer_id: uuid.UUID
    unit_id: uuid.UUID
    title: str
    category: str
    remaining: int
    score: float
    factors: list[Factor]


def category_fit(wanted: str, offered: str) -> float:
    """1 for the very code asked for; each level more specific than asked halves it."""
    depth = offered.count(".") - wanted.count(".")
    return 0.5**depth


def time_coverage(demand: Demand, covering_seconds: float) -> float:
    """How snugly the availability fits the window: an offer free only then is the one to use,
    one free all week can go elsewhere."""
    needed = (demand.ends_at - demand.starts_at).total_seconds()
    return min(needed / covering_seconds, 1.0) if covering_seconds > 0 else 0.0


def capacity_fit(remaining: int, wanted: int) -> float:
    """The share of what is still wanted this offer can give alone."""
    return min(remaining / wanted, 1.0) if wanted > 0 else 1.0


def proximity(unit_area: str, place: str | None) -> float:
    """Same residential area 1, same subdistrict 0.5, elsewhere 0 (anywhere counts as near)."""
    if place is None:
        return 1.0
    unit_parts, place_parts = unit_area.split("/"), place.split("/")
    shared = 0
    for mine, theirs in zip(unit_parts, place_parts, strict=False):
        if mine != theirs:
            break
        shared += 1
    if shared >= 3 or unit_parts == place_parts:
        return 1.0
    return 0.5 if shared >= 2 else 0.0


def reliability(history: UnitHistory) -> float:
    """Fulfilled against declined and no-shows, smoothed so a newcomer starts at 0.5."""
    failed = history.declined + history.no_shows
    return (history.fulfilled + 1) / (history.fulfilled + failed + 2)


def fairness(history: UnitHistory, tuning: Tuning) -> float:
    """Units already heavily committed this month are pushed down."""
    return 1.0 - min(history.committed_this_month, tuning.busy_commitments) / tuning.busy_commitments


def reciprocity(history: UnitHistory, tuning: Tuning) -> float:
    """Units that received help recently are nudged up to give."""
    return min(history.received_recently, tuning.received_for_full_nudge) / tuning.received_for_full_nudge


class Scored(NamedTuple):
    """A candidate's score and factor values, before they are dressed up for an answer."""

    offer: OfferFacts
    remaining: int
    score: float
    values: tuple[float, ...]


@functools.cache
def _history_values(history: UnitHistory, tuning: Tuning) -> tuple[float, float, float]:
    """The three factors a unit's record gives (the same for all its offers: computed once)."""
    return reliability(history), fairness(history, tuning), reciprocity(history, tuning)


def assess(
    demand: Demand,
    offer: OfferFacts,
    history: UnitHistory,
    weights: Weights,
    tuning: Tuning,
    covering_seconds: float | None = None,
) -> Scored | None:
    """The offer's score for the demand, or None when it has nothing left in the window.

    Runs for every candidate of a board (thousands): plain arithmetic, no per-factor objects.
    `covering_seconds` overrides the offer's (one offer fits several demands differently).
    """
    remaining = remaining_in(offer.capacity, offer.holds, demand.starts_at, demand.ends_at)
    if remaining <= 0:
        return None
    covering = offer.covering_seconds if covering_seconds is None else covering_seconds
    values = (
        category_fit(demand.category, offer.category),
        time_coverage(demand, covering),
        capacity_fit(remaining, demand.quantity),
        proximity(offer.unit_area, demand.place),
        *_history_values(history, tuning),
    )  # in the order of FACTORS, as Weights declares them
    w = msgspec.structs.astuple(weights)
    total_weight = w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6]
    if total_weight <= 0:
        return Scored(offer, remaining, 0.0, values)
    v = values
    weighted = v[0] * w[0] + v[1] * w[1] + v[2] * w[2] + v[3] * w[3] + v[4] * w[4] + v[5] * w[5] + v[6] * w[6]
    return Scored(offer, remaining, round(weighted / total_weight, 4), values)


def explain(scored: Scored, weights: Weights) -> Candidate:
    """The candidate as the API shows it: every factor with its value and weight."""
    return explain_all([scored], weights)[0]


def explain_all(candidates: Iterable[Scored], weights: Weights) -> list[Candidate]:
    """`explain` for each (an answer explains hundreds with the same weights: paired once)."""
    named = tuple(zip(FACTORS, msgspec.structs.astuple(weights), strict=True))
    return [_explained(c, named) for c in candidates]


def _explained(scored: Scored, named: tuple[tuple[str, float], ...]) -> Candidate:
    # The values and `named` both follow FACTORS: one zip, no per-candidate checks.
    factors = [
        Factor(name, round(value, 4), weight)
        for (name, weight), value in zip(named, scored.values, strict=False)
    ]
    offer = scored.offer
    return Candidate(
        offer_id=offer.offer_id, unit_id=offer.unit_id, title=offer.title, category=offer.category,
        remaining=scored.remaining, score=scored.score, factors=factors,
    )  # fmt: skip


def score(
    demand: Demand, offer: OfferFacts, history: UnitHistory, weights: Weights, tuning: Tuning
) -> Candidate | None:
    """`assess` and `explain` in one (for a single candidate)."""
    scored = assess(demand, offer, history, weights, tuning)
    return explain(scored, weights) if scored is not None else None


def ranked(candidates: list[Scored]) -> list[Scored]:
    """Best first; ties by offer id so the order never depends on how rows came back."""
    return sorted(candidates, key=lambda c: (-c.score, c.offer.offer_id))
