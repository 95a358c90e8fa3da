"""Loading the demo through the service layer, as the centre's coordinator and each unit's liaison.

Every write is idempotent: ids are uuid5 of stable names, and each write carries its own
idempotency key, so a second run replays every write from the log and appends nothing. A write's
fingerprint is the hash of what it says: a database holding an older, different demo refuses the
changed write (IdempotencyKeyReused) instead of being silently left half old, half new.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

import msgspec

from events import EventStore
from registry.demo.network import FAIR, FAIR_HOURS, NEEDS, OFFERS, PLANS, PLEDGES, UNITS, DemoPlan
from registry.domain import need, offer, plan, unit
from registry.domain.values import Capacity, Role
from registry.matching.config import MatchConfig
from registry.service import allocations, commands, commitments
from registry.service.allocations import AllocationOut, AssignmentOut
from registry.service.commitments import MakeCommitment
from registry.service.contacts import add_contact
from registry.service.context import Actor, Command
from registry.service.execute import Registry

NAMESPACE = uuid.UUID("6b8cb1de-82a0-4844-ba70-6d5434f7d128")
CORRELATION = "ouyang-road-demo"
COORDINATOR = Actor(subject="demo:coordinator", role=Role.COORDINATOR)


def demo_id(kind: str, key: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{kind}/{key}")


UNIT_KEYS = {demo_id("unit", u.key): u.key for u in UNITS}
OFFER_UNITS = {o.key: o.unit for o in OFFERS}
FAIR_ID = demo_id("plan", FAIR.key)


def liaison(unit_key: str) -> Actor:
    return Actor(subject=f"demo:{unit_key}", role=Role.LIAISON, unit_id=demo_id("unit", unit_key))


def _as(actor: Actor, key: str, says: object) -> Command:
    """A write's conditions: its idempotency key, and the fingerprint of what it says."""
    return Command(
        actor=actor,
        correlation_id=CORRELATION,
        idempotency_key=f"demo/{key}",
        fingerprint=hashlib.sha256(msgspec.json.encode(says)).digest(),
    )


async def load_demo(registry: Registry, config: MatchConfig) -> AllocationOut:
    """Load the network and its activities, staff and close the fair; returns the fair's allocation."""
    await _register_units(registry)
    for o in OFFERS:
        cmd = offer.SubmitOffer(
            offer_id=demo_id("offer", o.key), unit_id=demo_id("unit", o.unit), category=o.category,
            title=o.title, capacity=Capacity(quantity=o.quantity, measure=o.measure),
            availability=list(o.availability), service_area=list(o.service_area),
        )  # fmt: skip
        await commands.submit_offer(registry, _as(liaison(o.unit), f"offer/{o.key}", cmd), cmd)
    for n in NEEDS:
        raised = need.RaiseNeed(
            need_id=demo_id("need", n.key), unit_id=demo_id("unit", n.unit), category=n.category,
            title=n.title, quantity=n.quantity, starts_at=n.starts_at, ends_at=n.ends_at,
            location=n.location, urgency=n.urgency, description=n.description, measure=n.measure,
        )  # fmt: skip
        await commands.raise_need(registry, _as(liaison(n.unit), f"need/{n.key}", raised), raised)
    for p in PLANS:
        await _publish(registry, p)
    allocation = await _staff_fair(registry, config)
    await _meet_pledges(registry)
    complete = plan.CompletePlan(plan_id=FAIR_ID, notes="以民为本、真心服务，受到居民们的一致好评和认可")
    await commands.change_plan(registry, _as(COORDINATOR, f"plan/{FAIR.key}/complete", complete), complete)
    return allocation


async def is_empty(store: EventStore) -> bool:
    """Whether the registry holds no unit and no plan yet (tokens may come first, they don't count)."""
    for prefix in ("unit-", "plan-"):
        async for _ in store.read_all(limit=1, stream_prefix=prefix):
            return False
    return True


async def load_if_empty(registry: Registry, config: MatchConfig) -> AllocationOut | None:
    """`serve --demo`: the demo goes only into an empty registry, never among real data."""
    if not await is_empty(registry.store):
        return None
    return await load_demo(registry, config)


async def _register_units(registry: Registry) -> None:
    for u in UNITS:
        cmd = unit.RegisterUnit(
            unit_id=demo_id("unit", u.key), name=u.name, short_name=u.short_name, kind=u.kind,
            area=u.area, party_org=u.party_org, description=u.description,
        )  # fmt: skip
        await commands.register_unit(registry, _as(COORDINATOR, f"unit/{u.key}", cmd), cmd)
        for index, c in enumerate(u.contacts):
            # The fingerprint leaves the name and phone out: the idempotency record is kept for
            # good, and a person's data must stay erasable.
            ctx = _as(liaison(u.key), f"contact/{u.key}/{index}", [u.key, index, c.title])
            await add_contact(registry, ctx, cmd.unit_id, c.name, c.phone, c.title)


async def _publish(registry: Registry, p: DemoPlan) -> None:
    plan_id = demo_id("plan", p.key)
    draft = plan.DraftPlan(
        plan_id=plan_id, title=p.title, series=p.series, venue=p.venue, area=p.area,
        starts_at=p.starts_at, ends_at=p.ends_at, expected_attendance=p.expected_attendance,
    )  # fmt: skip
    await commands.change_plan(registry, _as(COORDINATOR, f"plan/{p.key}", draft), draft, creates=True)
    for s in p.slots:
        add = plan.AddSlot(
            plan_id=plan_id, slot_id=demo_id("slot", f"{p.key}/{s.key}"), category=s.category,
            quantity=s.quantity, notes=s.notes, measure=s.measure,
        )  # fmt: skip
        await commands.change_plan(registry, _as(COORDINATOR, f"slot/{p.key}/{s.key}", add), add)
    publish = plan.PublishPlan(plan_id=plan_id)
    await commands.change_plan(registry, _as(COORDINATOR, f"plan/{p.key}/publish", publish), publish)


async def _staff_fair(registry: Registry, config: MatchConfig) -> AllocationOut:
    """Dispatch (派单) by the solver, accepted (接单) by each unit, delivered and recorded (晒单)."""
    says = {"plan_id": FAIR_ID, "weights": config.weights}
    allocation, _ = await allocations.dispatch(
        registry, _as(COORDINATOR, f"plan/{FAIR.key}/allocate", says), FAIR_ID, config
    )
    for a in allocation.assignments:
        ctx = _as(liaison(UNIT_KEYS[a.unit_id]), f"commitment/{a.commitment_id}/confirm", "confirm")
        await commitments.step(registry, ctx, _commitment(a), commitments.confirm)
    for a, people, volunteers in fair_outcomes(allocation.assignments):
        hours = volunteers * FAIR_HOURS
        says_done = {"people_served": people, "volunteer_hours": hours}
        ctx = _as(liaison(UNIT_KEYS[a.unit_id]), f"commitment/{a.commitment_id}/fulfil", says_done)
        await commitments.step(registry, ctx, _commitment(a), commitments.fulfilling(people, hours, None))
    return allocation


def fair_outcomes(assignments: Sequence[AssignmentOut]) -> list[tuple[AssignmentOut, int, int]]:
    """Each dispatched commitment with its share of its slot's people served and volunteers."""
    slots = {demo_id("slot", f"{FAIR.key}/{s.key}"): s for s in FAIR.slots}
    outcomes = []
    for slot_id, slot in slots.items():
        mine = [a for a in assignments if a.slot_id == slot_id]
        quantities = [a.quantity for a in mine]
        people, volunteers = share(slot.people_served, quantities), share(slot.volunteers, quantities)
        outcomes += list(zip(mine, people, volunteers, strict=True))
    return outcomes


def share(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up to it."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    by_remainder = sorted(range(len(weights)), key=lambda i: -(total * weights[i] % whole))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


async def _meet_pledges(registry: Registry) -> None:
    """Units claim (认领) the metro station's need for volunteers; the centre confirms each claim."""
    for p in PLEDGES:
        commitment_id = demo_id("commitment", f"{p.need}/{p.offer}")
        cmd = MakeCommitment(
            commitment_id=commitment_id, offer_id=demo_id("offer", p.offer), quantity=p.quantity,
            need_id=demo_id("need", p.need),
        )  # fmt: skip
        ctx = _as(liaison(OFFER_UNITS[p.offer]), f"commitment/{commitment_id}", cmd)
        await commitments.make_commitment(registry, ctx, cmd)
        confirmed = _as(COORDINATOR, f"commitment/{commitment_id}/confirm", "confirm")
        await commitments.step(registry, confirmed, commitment_id, commitments.confirm)


def _commitment(a: AssignmentOut) -> uuid.UUID:
    assert a.commitment_id is not None, "a dispatched assignment names its commitment"
    return a.commitment_id
