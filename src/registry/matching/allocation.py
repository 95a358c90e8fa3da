"""Allocate offers to the slots of an activity plan, optimally, with OR-Tools.

The programme. Each edge says offer o may serve slot s and scores each unit it would supply. Choose
an integer x[o,s] >= 0 per edge so that
- no slot gets more than it still wants: Σ_o x[o,s] <= demand(s);
- no offer is over-committed at any moment t: what its existing holds carry at t plus Σ x[o,s] over
  the slots running at t stays within its capacity. Capacity is per moment, as in
  `registry.domain.capacity`; an offer already over-held at t gives nothing at t, not less.
Then cover as much demand as possible and, only among allocations covering that much, maximise
Σ x·round(score·1000): no gain in score is worth leaving one unit unmet.

Which moments matter. An offer's load only rises where a slot or a hold starts, so checking it at
the starts of its candidate slots, and at the starts of its holds that fall inside one of them,
checks every moment. Each such moment gives a *limit*: the offer's slots running then, and the most
they may take in all. A limit is dropped when a larger one, holding all its slots, is as tight.

Why two solvers. When each offer's limits are laminar (any two disjoint or nested, as with
back-to-back shifts or several posts over the same hours) they form a forest, and the programme is
a network: source → slot (its demand) → the offer's smallest limit holding the slot (cost −score)
→ the limit enclosing that one → … → sink. Network matrices are totally unimodular, so the integral
max-flow-min-cost is the exact optimum, found in polynomial time. When slots overlap partially
(A meets B, B meets C, A misses C) the limits cross, no tree holds them, and CP-SAT solves the
integer programme instead, the two objectives folded into one weight per unit.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

import msgspec
import ortools
from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]  # same package, same reason

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

from registry.domain.capacity import Hold

SCORE_SCALE = 1000
"""Scores are compared as integers (score·1000, rounded), so equal scores tie exactly."""

# mypy sees the untyped package root only as a namespace holding the typed ortools.sat; the
# attribute is there at run time.
_SOLVER_VERSION = f"ortools {ortools.__version__}"  # type: ignore[attr-defined]

# Any fixed value will do: with a single worker, fixing the seed is what makes CP-SAT repeatable.
_CP_SAT_SEED = 20250101


class SlotDemand(msgspec.Struct, frozen=True, kw_only=True):
    """A slot of the plan and the quantity it still wants during [starts_at, ends_at)."""

    slot_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    demand: int


class OfferSupply(msgspec.Struct, frozen=True, kw_only=True):
    """An offer's capacity per moment and the holds its existing commitments already place on it."""

    offer_id: uuid.UUID
    capacity: int
    holds: list[Hold] = []


class Edge(msgspec.Struct, frozen=True, kw_only=True):
    """The offer may serve the slot; each unit it supplies there scores `score`, in [0, 1]."""

    slot_id: uuid.UUID
    offer_id: uuid.UUID
    score: float


class Assignment(msgspec.Struct, frozen=True, kw_only=True):
    slot_id: uuid.UUID
    offer_id: uuid.UUID
    quantity: int
    score: float


class Unmet(msgspec.Struct, frozen=True, kw_only=True):
    slot_id: uuid.UUID
    quantity: int


class Allocation(msgspec.Struct, frozen=True, kw_only=True):
    assignments: list[Assignment]
    unmet: list[Unmet]
    solver: str
    solver_version: str
    status: str


class _Edge(NamedTuple):
    slot: int
    offer: int
    weight: int


class _Limit(NamedTuple):
    """Slots of one offer that run together at some moment, and the most they may take in all."""

    slots: frozenset[int]
    cap: int


def allocate(
    slots: Sequence[SlotDemand],
    offers: Sequence[OfferSupply],
    edges: Sequence[Edge],
    time_limit_seconds: float = 5.0,
) -> Allocation:
    """Cover as much of the slots' demand as the offers can hold, then with the best scores."""
    indexed = _index_edges(slots, offers, edges)
    candidates: list[dict[int, SlotDemand]] = [{} for _ in offers]
    for edge in indexed:
        candidates[edge.offer][edge.slot] = slots[edge.slot]
    limits = [_limits_of(offer, candidates[o]) for o, offer in enumerate(offers)]
    demands = [slot.demand for slot in slots]

    if all(_is_laminar(family) for family in limits):
        quantities, solver, status = _solve_by_flow(demands, indexed, limits), "min_cost_flow", "optimal"
    else:
        quantities, status = _solve_by_cp_sat(demands, indexed, limits, time_limit_seconds)
        solver = "cp_sat"

    given = [0] * len(slots)
    for edge, quantity in zip(indexed, quantities, strict=True):
        given[edge.slot] += quantity
    in_input_order = sorted(range(len(indexed)), key=lambda k: (indexed[k].slot, indexed[k].offer))
    return Allocation(
        assignments=[
            Assignment(
                slot_id=edges[k].slot_id,
                offer_id=edges[k].offer_id,
                quantity=quantities[k],
                score=edges[k].score,
            )
            for k in in_input_order
            if quantities[k] > 0
        ],
        unmet=[
            Unmet(slot_id=slot.slot_id, quantity=slot.demand - given[i])
            for i, slot in enumerate(slots)
            if given[i] < slot.demand
        ],
        solver=solver,
        solver_version=_SOLVER_VERSION,
        status=status,
    )


def _index_edges(
    slots: Sequence[SlotDemand], offers: Sequence[OfferSupply], edges: Sequence[Edge]
) -> list[_Edge]:
    """Edges by position, refusing what cannot be allocated: unknown ids, duplicates, bad numbers."""
    slot_at = _positions([slot.slot_id for slot in slots], "slot")
    offer_at = _positions([offer.offer_id for offer in offers], "offer")
    for slot in slots:
        if slot.demand < 0:
            raise ValueError(f"slot {slot.slot_id} has negative demand {slot.demand}")
        # An empty window runs at no moment, so no capacity check would ever bound it.
        if slot.ends_at <= slot.starts_at:
            raise ValueError(f"slot {slot.slot_id} has an empty window [{slot.starts_at}, {slot.ends_at})")
    seen: set[tuple[uuid.UUID, uuid.UUID]] = set()
    indexed = []
    for edge in edges:
        if edge.slot_id not in slot_at:
            raise ValueError(f"edge names unknown slot {edge.slot_id} (offer {edge.offer_id})")
        if edge.offer_id not in offer_at:
            raise ValueError(f"edge names unknown offer {edge.offer_id} (slot {edge.slot_id})")
        if (edge.slot_id, edge.offer_id) in seen:
            raise ValueError(f"duplicate edge: slot {edge.slot_id}, offer {edge.offer_id}")
        # Negative or NaN scores would let a better-scored allocation outweigh covering one more unit.
        if not 0.0 <= edge.score <= 1.0:
            raise ValueError(f"edge score {edge.score} is outside [0, 1] (slot {edge.slot_id})")
        seen.add((edge.slot_id, edge.offer_id))
        indexed.append(_Edge(slot_at[edge.slot_id], offer_at[edge.offer_id], round(edge.score * SCORE_SCALE)))
    return indexed


def _positions(ids: Sequence[uuid.UUID], kind: str) -> dict[uuid.UUID, int]:
    at: dict[uuid.UUID, int] = {}
    for position, id_ in enumerate(ids):
        if id_ in at:
            raise ValueError(f"duplicate {kind} {id_}")
        at[id_] = position
    return at


def _limits_of(offer: OfferSupply, candidates: dict[int, SlotDemand]) -> list[_Limit]:
    """The offer's limits over its candidate slots, smallest first, without those another implies."""
    windows = candidates.values()
    moments = {slot.starts_at for slot in windows}
    moments.update(
        hold.starts_at
        for hold in offer.holds
        if any(slot.starts_at < hold.starts_at < slot.ends_at for slot in windows)
    )
    tightest: dict[frozenset[int], int] = {}
    for moment in sorted(moments):
        running = frozenset(i for i, slot in candidates.items() if slot.starts_at <= moment < slot.ends_at)
        cap = max(offer.capacity - _held_at(offer.holds, moment), 0)
        tightest[running] = min(cap, tightest.get(running, cap))
    kept = [
        _Limit(group, cap)
        for group, cap in tightest.items()
        if not any(other > group and other_cap <= cap for other, other_cap in tightest.items())
    ]
    return sorted(kept, key=lambda limit: (len(limit.slots), sorted(limit.slots)))


def _held_at(holds: Sequence[Hold], moment: datetime) -> int:
    return sum(hold.quantity for hold in holds if hold.starts_at <= moment < hold.ends_at)


def _is_laminar(family: Sequence[_Limit]) -> bool:
    return all(
        a.slots.isdisjoint(b.slots) or a.slots <= b.slots or b.slots <= a.slots
        for a, b in itertools.combinations(family, 2)
    )


def _smallest_holding(family: Sequence[_Limit], slots: frozenset[int], *, strictly: bool) -> int | None:
    """Position of the smallest limit holding all of `slots` (the family is sorted smallest first)."""
    for position, limit in enumerate(family):
        if (limit.slots > slots) if strictly else (limit.slots >= slots):
            return position
    return None


def _solve_by_flow(
    demands: Sequence[int], edges: Sequence[_Edge], limits: Sequence[Sequence[_Limit]]
) -> list[int]:
    """Max flow at min cost through each offer's tree of limits; exact because the limits nest."""
    network = min_cost_flow.SimpleMinCostFlow()
    source, sink = 0, 1
    slot_node = [2 + i for i in range(len(demands))]
    limit_node: list[list[int]] = []
    next_node = 2 + len(demands)
    for family in limits:
        limit_node.append(list(range(next_node, next_node + len(family))))
        next_node += len(family)

    for i, demand in enumerate(demands):
        network.add_arc_with_capacity_and_unit_cost(source, slot_node[i], demand, 0)
    for o, family in enumerate(limits):
        for k, limit in enumerate(family):
            parent = _smallest_holding(family, limit.slots, strictly=True)
            head = sink if parent is None else limit_node[o][parent]
            network.add_arc_with_capacity_and_unit_cost(limit_node[o][k], head, limit.cap, 0)
    arcs = []
    for edge in edges:
        family = limits[edge.offer]
        smallest = _smallest_holding(family, frozenset({edge.slot}), strictly=False)
        assert smallest is not None, "every candidate slot's start is a moment its offer is checked at"
        arcs.append(
            network.add_arc_with_capacity_and_unit_cost(
                slot_node[edge.slot],
                limit_node[edge.offer][smallest],
                min(demands[edge.slot], family[smallest].cap),
                -edge.weight,
            )
        )

    # Supply as much as could ever be wanted; solve_max_flow_with_min_cost ships what it can.
    network.set_node_supply(source, sum(demands))
    network.set_node_supply(sink, -sum(demands))
    status = network.solve_max_flow_with_min_cost()
    if status != network.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status.name}")
    return [int(network.flow(arc)) for arc in arcs]


def _solve_by_cp_sat(
    demands: Sequence[int],
    edges: Sequence[_Edge],
    limits: Sequence[Sequence[_Limit]],
    time_limit_seconds: float,
) -> tuple[list[int], str]:
    """The same programme as an integer model, for limits that cross and so fit no tree."""
    # Imported here: CP-SAT's module pulls in pandas (over a second), and most plans never need it.
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    x = [model.new_int_var(0, demands[e.slot], f"x_{e.slot}_{e.offer}") for e in edges]
    by_slot: list[list[cp_model.IntVar]] = [[] for _ in demands]
    by_offer: list[list[tuple[int, cp_model.IntVar]]] = [[] for _ in limits]
    for edge, var in zip(edges, x, strict=True):
        by_slot[edge.slot].append(var)
        by_offer[edge.offer].append((edge.slot, var))

    for demand, supplied in zip(demands, by_slot, strict=True):
        if supplied:
            model.add(cp_model.LinearExpr.sum(supplied) <= demand)
    for family, served in zip(limits, by_offer, strict=True):
        for limit in family:
            model.add(
                cp_model.LinearExpr.sum([var for slot, var in served if slot in limit.slots]) <= limit.cap
            )
    # One more unit covered must outweigh any total of scores, so BIG exceeds the largest such total.
    big = SCORE_SCALE * sum(demands) + 1
    model.maximize(cp_model.LinearExpr.weighted_sum(x, [big + edge.weight for edge in edges]))

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = _CP_SAT_SEED
    solver.parameters.max_time_in_seconds = time_limit_seconds
    status = solver.solve(model)
    if status == cp_model.OPTIMAL:
        found = "optimal"
    elif status == cp_model.FEASIBLE:
        found = "feasible"
    else:
        raise RuntimeError(
            f"CP-SAT found no allocation in {time_limit_seconds}s ({solver.status_name(status)})"
        )
    return [int(solver.value(var)) for var in x], found


def warm_up() -> None:
    """Import CP-SAT now (it pulls in pandas, seconds on a cold start), so the first plan that
    needs it does not pay for it. Meant for a worker thread at server start."""
    from ortools.sat.python import cp_model  # noqa: F401
