"""Each scoring factor's effect, alone: two candidates alike but for one thing rank by that thing."""

from __future__ import annotations

import gc
import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from registry.domain.capacity import Hold
from registry.matching.scoring import (
    Candidate,
    Demand,
    OfferFacts,
    Tuning,
    UnitHistory,
    Weights,
    assess,
    explain,
    explain_all,
    ranked,
    score,
)

START = datetime(2026, 10, 17, 1, tzinfo=UTC)
DEMAND = Demand(
    category="repair",
    starts_at=START,
    ends_at=START + timedelta(hours=3),
    quantity=4,
    place="虹口区/欧阳路街道",
)
BASE = OfferFacts(
    offer_id=uuid.UUID(int=1), unit_id=uuid.UUID(int=2), unit_area="虹口区/欧阳路街道/虹仪居民区",
    category="repair", title="便民维修", capacity=4, holds=[], covering_seconds=3 * 3600,
)  # fmt: skip
NEWCOMER = UnitHistory()
DEFAULT_WEIGHTS = Weights()


def scored(
    offer: OfferFacts = BASE, history: UnitHistory = NEWCOMER, weights: Weights = DEFAULT_WEIGHTS
) -> Candidate:
    found = score(DEMAND, offer, history, weights, Tuning())
    assert found is not None
    return found


def factor(candidate: Candidate, name: str) -> float:
    return next(f.value for f in candidate.factors if f.name == name)


def others_equal(a: Candidate, b: Candidate, name: str) -> None:
    """Every factor but `name` has the same value in both: the difference is that factor's alone."""
    assert [f for f in a.factors if f.name != name] == [f for f in b.factors if f.name != name]


BETTER_WORSE = [
    pytest.param("category_fit", BASE, msgspec.structs.replace(BASE, category="repair.umbrella"), NEWCOMER,
                 NEWCOMER, id="the very category beats a sub-category"),
    pytest.param("time_coverage", BASE, msgspec.structs.replace(BASE, covering_seconds=10 * 3600), NEWCOMER,
                 NEWCOMER, id="available just then beats available all day"),
    pytest.param("capacity_fit", BASE, msgspec.structs.replace(BASE, capacity=2), NEWCOMER, NEWCOMER,
                 id="enough for all beats enough for half"),
    pytest.param("proximity", BASE, msgspec.structs.replace(BASE, unit_area="虹口区/嘉兴路街道"), NEWCOMER,
                 NEWCOMER, id="same subdistrict beats elsewhere"),
    pytest.param("reliability", BASE, BASE, UnitHistory(fulfilled=5), UnitHistory(fulfilled=5, no_shows=3),
                 id="fulfilled beats no-shows"),
    pytest.param("reliability", BASE, BASE, NEWCOMER, UnitHistory(declined=2), id="declines count against"),
    pytest.param("fairness", BASE, BASE, NEWCOMER, UnitHistory(committed_this_month=6),
                 id="a unit busy this month is pushed down"),
    pytest.param("reciprocity", BASE, BASE, UnitHistory(received_recently=3), NEWCOMER,
                 id="a unit helped recently is nudged up"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "better", "worse", "better_history", "worse_history"), BETTER_WORSE)
def test_each_factor_alone_changes_the_rank(
    name: str,
    better: OfferFacts,
    worse: OfferFacts,
    better_history: UnitHistory,
    worse_history: UnitHistory,
) -> None:
    high = scored(better, better_history)
    low = scored(msgspec.structs.replace(worse, offer_id=uuid.UUID(int=9)), worse_history)
    others_equal(high, low, name)
    assert factor(high, name) > factor(low, name)
    assert high.score > low.score
    first, second = (
        assess(DEMAND, o, h, DEFAULT_WEIGHTS, Tuning())
        for o, h in ((worse, worse_history), (better, better_history))
    )
    assert first is not None and second is not None
    assert [c.offer for c in ranked([first, second])] == [better, worse]


@pytest.mark.parametrize("name", [f.name for f in scored().factors])
def test_a_factor_weighted_zero_has_no_effect(name: str) -> None:
    row = next(p for p in BETTER_WORSE if p.values[0] == name)
    _, better, worse, better_history, worse_history = row.values
    weights = Weights(**{name: 0.0})
    high = scored(better, better_history, weights)
    low = scored(msgspec.structs.replace(worse, offer_id=uuid.UUID(int=9)), worse_history, weights)
    assert high.score == low.score


def test_every_factor_comes_back_with_its_value_and_weight() -> None:
    weights = Weights(proximity=7.5)
    candidate = scored(weights=weights)
    assert [f.name for f in candidate.factors] == list(msgspec.structs.asdict(weights))
    assert next(f.weight for f in candidate.factors if f.name == "proximity") == 7.5
    assert all(0.0 <= f.value <= 1.0 for f in candidate.factors)
    expected = sum(f.value * f.weight for f in candidate.factors) / sum(f.weight for f in candidate.factors)
    assert candidate.score == pytest.approx(expected, abs=1e-4)


def test_proximity_ranks_residential_area_over_subdistrict_over_elsewhere() -> None:
    place = "虹口区/欧阳路街道/虹仪居民区"
    demand = msgspec.structs.replace(DEMAND, place=place)
    values = [
        factor(
            score(demand, msgspec.structs.replace(BASE, unit_area=area), NEWCOMER, Weights(), Tuning()),
            "proximity",
        )  # type: ignore[arg-type]
        for area in (place, "虹口区/欧阳路街道/邮电新村居民区", "杨浦区/五角场街道")
    ]
    assert values == [1.0, 0.5, 0.0]


def test_an_offer_with_nothing_left_in_the_window_is_no_candidate() -> None:
    hold = Hold(commitment_id=uuid.uuid4(), quantity=4, starts_at=START, ends_at=START + timedelta(hours=1))
    assert score(DEMAND, msgspec.structs.replace(BASE, holds=[hold]), NEWCOMER, Weights(), Tuning()) is None
    later = Hold(commitment_id=uuid.uuid4(), quantity=4, starts_at=START + timedelta(hours=5),
                 ends_at=START + timedelta(hours=6))  # fmt: skip
    assert (
        score(DEMAND, msgspec.structs.replace(BASE, holds=[later]), NEWCOMER, Weights(), Tuning()) is not None
    )


def test_ties_rank_by_offer_id_whatever_order_they_came_in() -> None:
    a = assess(DEMAND, BASE, NEWCOMER, DEFAULT_WEIGHTS, Tuning())
    b = assess(
        DEMAND, msgspec.structs.replace(BASE, offer_id=uuid.UUID(int=0)), NEWCOMER, DEFAULT_WEIGHTS, Tuning()
    )
    assert a is not None and b is not None
    assert ranked([a, b]) == ranked([b, a]) == [b, a]


def test_explaining_many_at_once_is_explaining_each() -> None:
    weights = Weights(category_fit=0.5, reciprocity=4.0)
    found = [
        assess(
            DEMAND,
            msgspec.structs.replace(BASE, offer_id=uuid.UUID(int=n), capacity=n),
            history,
            weights,
            Tuning(),
        )
        for n, history in ((1, NEWCOMER), (3, UnitHistory(fulfilled=4, received_recently=2)))
    ]
    assert all(c is not None for c in found)
    assert explain_all(found, weights) == [explain(c, weights) for c in found]  # type: ignore[arg-type]


def test_an_answers_candidates_and_factors_are_left_to_reference_counting() -> None:
    """An answer holds thousands of them: the cycle collector neither counts nor walks them."""
    candidate = scored()
    assert not gc.is_tracked(candidate)
    assert not any(gc.is_tracked(f) for f in candidate.factors)
