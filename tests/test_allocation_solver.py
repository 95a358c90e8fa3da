"""Allocating offers to slots: the solver covers what a greedy pass strands, and matches brute force.

Pure: no database. Times are hours of one day, so windows overlap, nest, or cross as a test needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from registry.domain.capacity import Hold
from registry.matching.allocation import (
    SCORE_SCALE,
    Allocation,
    Assignment,
    Edge,
    OfferSupply,
    SlotDemand,
    Unmet,
    allocate,
)


def at(hour: int) -> datetime:
    return datetime(2025, 6, 1, hour, tzinfo=UTC)


def ident(n: int) -> uuid.UUID:
    # Fixed ids keep derandomized hypothesis runs identical; descending ones expose any sorting by id.
    return uuid.UUID(int=1000 - n)


def slot(n: int, start: int, end: int, demand: int) -> SlotDemand:
    return SlotDemand(slot_id=ident(n), starts_at=at(start), ends_at=at(end), demand=demand)


def offer(n: int, capacity: int, holds: Sequence[tuple[int, int, int]] = ()) -> OfferSupply:
    return OfferSupply(
        offer_id=ident(100 + n),
        capacity=capacity,
        holds=[
            Hold(commitment_id=ident(200 + i), quantity=q, starts_at=at(start), ends_at=at(end))
            for i, (start, end, q) in enumerate(holds)
        ],
    )


def edge(s: SlotDemand, o: OfferSupply, score: float) -> Edge:
    return Edge(slot_id=s.slot_id, offer_id=o.offer_id, score=score)


def placed(allocation: Allocation) -> list[tuple[uuid.UUID, uuid.UUID, int]]:
    return [(a.slot_id, a.offer_id, a.quantity) for a in allocation.assignments]


# --- the brute-force yardstick ------------------------------------------------------------------


def held_at(o: OfferSupply, moment: datetime) -> int:
    return sum(h.quantity for h in o.holds if h.starts_at <= moment < h.ends_at)


def breaks_a_limit(
    slots: Sequence[SlotDemand],
    offers: Sequence[OfferSupply],
    edges: Sequence[Edge],
    quantities: Sequence[int],
) -> bool:
    """Checked at every boundary of every window: between two boundaries nothing changes."""
    by_id = {s.slot_id: s for s in slots}
    for s in slots:
        if sum(q for e, q in zip(edges, quantities, strict=True) if e.slot_id == s.slot_id) > s.demand:
            return True
    moments = {m for s in slots for m in (s.starts_at, s.ends_at)}
    moments |= {m for o in offers for h in o.holds for m in (h.starts_at, h.ends_at)}
    for o in offers:
        for moment in moments:
            assigned = sum(
                q
                for e, q in zip(edges, quantities, strict=True)
                if e.offer_id == o.offer_id
                and by_id[e.slot_id].starts_at <= moment < by_id[e.slot_id].ends_at
            )
            if assigned > max(o.capacity - held_at(o, moment), 0):
                return True
    return False


def brute_force_best(
    slots: Sequence[SlotDemand], offers: Sequence[OfferSupply], edges: Sequence[Edge]
) -> tuple[int, int]:
    """(total quantity, total score) of the best allocation, by trying every integer vector."""
    demand = {s.slot_id: s.demand for s in slots}
    best = (0, 0)
    quantities = [0] * len(edges)

    def extend(k: int) -> None:
        nonlocal best
        if k == len(edges):
            best = max(best, totals(edges, quantities))
            return
        for q in range(demand[edges[k].slot_id] + 1):
            quantities[k] = q
            # Quantities only add load, so a partial vector that breaks a limit has no good completion.
            if breaks_a_limit(slots, offers, edges, quantities):
                break
            extend(k + 1)
        quantities[k] = 0

    extend(0)
    return best


def totals(edges: Sequence[Edge], quantities: Sequence[int]) -> tuple[int, int]:
    return sum(quantities), sum(
        q * round(e.score * SCORE_SCALE) for e, q in zip(edges, quantities, strict=True)
    )


def quantities_of(edges: Sequence[Edge], allocation: Allocation) -> list[int]:
    given = {(a.slot_id, a.offer_id): a.quantity for a in allocation.assignments}
    return [given.get((e.slot_id, e.offer_id), 0) for e in edges]


# --- the greedy baseline ------------------------------------------------------------------------


def greedy(
    slots: Sequence[SlotDemand], offers: Sequence[OfferSupply], edges: Sequence[Edge]
) -> list[Assignment]:
    """Best score first: give each edge, in falling score order, as much as still fits."""
    quantities = [0] * len(edges)
    for k in sorted(range(len(edges)), key=lambda k: -edges[k].score):
        while True:
            quantities[k] += 1
            if breaks_a_limit(slots, offers, edges, quantities):
                quantities[k] -= 1
                break
    return [
        Assignment(slot_id=e.slot_id, offer_id=e.offer_id, quantity=q, score=e.score)
        for e, q in zip(edges, quantities, strict=True)
        if q > 0
    ]


# --- behaviour ----------------------------------------------------------------------------------


def test_solver_covers_both_slots_where_greedy_strands_the_scarce_offer() -> None:
    a, b = slot(1, 9, 11, 1), slot(2, 9, 11, 1)
    x, y = offer(1, 1), offer(2, 1)
    slots, offers = [a, b], [x, y]
    edges = [edge(a, x, 0.9), edge(b, x, 0.6), edge(a, y, 0.5)]

    baseline = greedy(slots, offers, edges)
    assert [(g.slot_id, g.offer_id, g.quantity) for g in baseline] == [(a.slot_id, x.offer_id, 1)]

    allocation = allocate(slots, offers, edges)
    assert placed(allocation) == [(a.slot_id, y.offer_id, 1), (b.slot_id, x.offer_id, 1)]
    assert allocation.unmet == []


def test_back_to_back_slots_are_solved_exactly_by_min_cost_flow() -> None:
    morning, afternoon = slot(1, 8, 10, 2), slot(2, 10, 12, 2)
    x = offer(1, 2)
    allocation = allocate([morning, afternoon], [x], [edge(morning, x, 0.5), edge(afternoon, x, 0.5)])
    assert allocation.solver == "min_cost_flow"
    assert allocation.status == "optimal"
    assert allocation.solver_version.startswith("ortools 9.")
    assert placed(allocation) == [(morning.slot_id, x.offer_id, 2), (afternoon.slot_id, x.offer_id, 2)]


def test_nested_limits_bind_together_in_the_flow() -> None:
    # At 8 both slots run and may take 2 in all; from 10 a hold leaves `long` only 1. Limit {long}
    # nests in {long, short}, so a unit through the inner limit must count against the outer too.
    long, short = slot(1, 8, 12, 2), slot(2, 8, 10, 2)
    x = offer(1, 2, holds=[(10, 12, 1)])
    allocation = allocate([long, short], [x], [edge(long, x, 0.9), edge(short, x, 0.5)])
    assert allocation.solver == "min_cost_flow"
    assert placed(allocation) == [(long.slot_id, x.offer_id, 1), (short.slot_id, x.offer_id, 1)]
    assert allocation.unmet == [
        Unmet(slot_id=long.slot_id, quantity=1),
        Unmet(slot_id=short.slot_id, quantity=1),
    ]


def test_a_chain_of_partial_overlaps_is_solved_by_cp_sat() -> None:
    # Offer x's limits {A, B} (at 9) and {B, C} (at 10) cross: no tree holds them.
    a, b, c = slot(1, 8, 10, 1), slot(2, 9, 11, 1), slot(3, 10, 12, 1)
    x = offer(1, 1)
    allocation = allocate([a, b, c], [x], [edge(a, x, 0.2), edge(b, x, 1.0), edge(c, x, 0.2)])
    assert allocation.solver == "cp_sat"
    assert allocation.status == "optimal"
    # B alone scores best, but A and C together cover two.
    assert placed(allocation) == [(a.slot_id, x.offer_id, 1), (c.slot_id, x.offer_id, 1)]
    assert allocation.unmet == [Unmet(slot_id=b.slot_id, quantity=1)]


WINDOWS = [(8, 10), (9, 11), (10, 12), (8, 12), (11, 13), (9, 10)]
CHAIN = [(8, 10), (9, 11), (10, 12)]  # A meets B, B meets C, A misses C: an offer of all three is no tree
SCORES = [0.0, 0.3, 0.5, 0.6, 0.9, 1.0]

Instance = tuple[list[SlotDemand], list[OfferSupply], list[Edge]]


@st.composite
def instances(draw: st.DrawFn, *, chained: bool = False) -> Instance:
    """Small instances; `chained` ones have the CHAIN's three slots and a first offer for all of them."""
    windows = (
        draw(st.permutations(CHAIN))
        if chained
        else draw(st.lists(st.sampled_from(WINDOWS), min_size=1, max_size=3))
    )
    slots = [slot(n, start, end, demand=draw(st.integers(0, 3))) for n, (start, end) in enumerate(windows)]
    holds = st.lists(st.tuples(st.sampled_from(WINDOWS), st.integers(1, 3)), max_size=2)
    offers = [
        offer(n, draw(st.integers(0, 3)), [(start, end, q) for (start, end), q in draw(holds)])
        for n in range(draw(st.integers(1, 3)))
    ]
    maybe_score = st.one_of(st.none(), st.sampled_from(SCORES))
    edges = [
        edge(s, o, score)
        for s in slots
        for n, o in enumerate(offers)
        if (score := draw(st.sampled_from(SCORES) if chained and n == 0 else maybe_score)) is not None
    ]
    return slots, offers, edges


def assert_optimal_and_within_limits(instance: Instance) -> Allocation:
    slots, offers, edges = instance
    allocation = allocate(slots, offers, edges)
    quantities = quantities_of(edges, allocation)

    assert allocation.status == "optimal"
    assert not breaks_a_limit(slots, offers, edges, quantities)
    assert totals(edges, quantities) == brute_force_best(slots, offers, edges)
    shortfall = {
        s.slot_id: s.demand - sum(q for e, q in zip(edges, quantities, strict=True) if e.slot_id == s.slot_id)
        for s in slots
    }
    assert allocation.unmet == [Unmet(slot_id=i, quantity=q) for i, q in shortfall.items() if q > 0]
    return allocation


@settings(derandomize=True, max_examples=150, deadline=None)
@given(instances())
def test_solver_matches_brute_force_and_keeps_every_limit(instance: Instance) -> None:
    event(f"solver: {assert_optimal_and_within_limits(instance).solver}")


@settings(derandomize=True, max_examples=100, deadline=None)
@given(instances(chained=True))
def test_cp_sat_matches_brute_force_where_limits_cross(instance: Instance) -> None:
    assert assert_optimal_and_within_limits(instance).solver == "cp_sat"


def test_same_instance_gives_same_allocation_in_input_order() -> None:
    # Input order is neither time order nor id order; both solvers must keep it.
    c, a, b = slot(3, 10, 12, 2), slot(1, 8, 10, 2), slot(2, 9, 11, 2)
    y, x = offer(2, 2), offer(1, 2)
    solvers = set()
    for slots in ([c, a], [c, a, b]):  # back to back (a flow), then a chain of partial overlaps
        edges = [edge(s, o, 0.5) for s in slots for o in (x, y)]
        first = allocate(slots, [y, x], edges)
        assert first == allocate(slots, [y, x], edges)
        position = {s.slot_id: i for i, s in enumerate(slots)} | {y.offer_id: 0, x.offer_id: 1}
        keys = [(position[given.slot_id], position[given.offer_id]) for given in first.assignments]
        assert keys == sorted(keys)
        assert len(keys) > 1
        solvers.add(first.solver)
    assert solvers == {"min_cost_flow", "cp_sat"}


def test_existing_holds_leave_only_the_rest_while_they_run() -> None:
    during, later, around = slot(1, 10, 12, 5), slot(2, 14, 16, 5), slot(3, 17, 21, 5)
    # 3 held from 9 to 11 (overlapping the start of `during`), and 3 from 18 (inside `around`).
    x = offer(1, 5, holds=[(9, 11, 3), (18, 19, 3)])
    allocation = allocate([during, later, around], [x], [edge(s, x, 0.5) for s in (during, later, around)])
    assert placed(allocation) == [
        (during.slot_id, x.offer_id, 2),
        (later.slot_id, x.offer_id, 5),
        (around.slot_id, x.offer_id, 2),
    ]
    assert allocation.unmet == [
        Unmet(slot_id=during.slot_id, quantity=3),
        Unmet(slot_id=around.slot_id, quantity=3),
    ]


def test_zero_demand_and_an_over_held_offer_get_nothing() -> None:
    nothing_wanted, wanted = slot(1, 8, 10, 0), slot(2, 8, 10, 2)
    over_held = offer(1, 1, holds=[(7, 11, 3)])
    allocation = allocate(
        [nothing_wanted, wanted], [over_held], [edge(s, over_held, 1.0) for s in (nothing_wanted, wanted)]
    )
    assert allocation.assignments == []
    assert allocation.unmet == [Unmet(slot_id=wanted.slot_id, quantity=2)]


@pytest.mark.parametrize(
    ("bad_edge", "message"),
    [
        (Edge(slot_id=ident(9), offer_id=ident(101), score=0.5), "unknown slot"),
        (Edge(slot_id=ident(1), offer_id=ident(109), score=0.5), "unknown offer"),
        (Edge(slot_id=ident(1), offer_id=ident(101), score=0.7), "duplicate edge"),
        (Edge(slot_id=ident(2), offer_id=ident(101), score=1.5), "outside"),
    ],
)
def test_bad_edge_raises_value_error(bad_edge: Edge, message: str) -> None:
    a, b, x = slot(1, 8, 10, 1), slot(2, 8, 10, 1), offer(1, 1)
    with pytest.raises(ValueError, match=message):
        allocate([a, b], [x], [edge(a, x, 0.5), bad_edge])


@pytest.mark.parametrize(
    ("bad_slot", "message"),
    [(slot(1, 8, 10, -1), "negative demand"), (slot(1, 10, 10, 1), "empty window")],
)
def test_bad_slot_raises_value_error(bad_slot: SlotDemand, message: str) -> None:
    x = offer(1, 1)
    with pytest.raises(ValueError, match=message):
        allocate([bad_slot], [x], [edge(bad_slot, x, 0.5)])
