"""The write engine: claims on one stream take turns in a process, a retry reads again only what
moved, If-Match losses are 412 at once, retries are bounded, the lock table forgets its streams;
turns are taken all at once, a sure refusal does not queue, a release waits for the turns of what
it writes; a first look asks the store nothing when the state cache has the stream or its id was
just drawn, and a refusal decided so is checked.

Two `Registry` objects on one database stand for two processes: each has its own lock table, so
only they can make each other's appends lose, as two servers would. (The HTTP test client runs
one request at a time, so concurrency is driven through the service layer here.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
import pytest

from events.sql import query
from registry.app import open_registry
from registry.domain.errors import Conflict, PreconditionFailed
from registry.domain.need import RaiseNeed
from registry.domain.offer import PauseOffer, ResumeOffer, ReviseOffer, SubmitOffer
from registry.domain.plan import AddSlot, DraftPlan, PublishPlan
from registry.domain.unit import RegisterUnit
from registry.domain.values import LOCAL_ZONE, Capacity, OneOffWindow, Role
from registry.service import commands, commitments
from registry.service.aggregates import NEEDS, OFFERS, PLANS
from registry.service.commitments import MakeCommitment
from registry.service.context import Actor, Command
from registry.service.execute import Registry
from registry.service.locks import INSISTENT, StreamLocks
from registry.service.retry import WRITE_ATTEMPTS, WRITE_EARLY_REFUSALS, WRITE_RETRIES, RetryPolicy
from registry.service.work import UnitOfWork, run
from registry.settings import Settings
from registry.streams import stream_id
from tests.api_fixtures import CLI

DAY = (datetime(2026, 10, 17, 8, tzinfo=LOCAL_ZONE), datetime(2026, 10, 17, 18, tzinfo=LOCAL_ZONE))
MORNING = (datetime(2026, 10, 17, 9, tzinfo=LOCAL_ZONE), datetime(2026, 10, 17, 12, tzinfo=LOCAL_ZONE))


def total(counter: Any) -> float:
    """A process-wide counter's total over its labels: tests read what one scenario added."""
    return sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))


def attempts() -> float:
    return total(WRITE_ATTEMPTS)


def lost_appends() -> float:
    return total(WRITE_RETRIES)


class Cast(msgspec.Struct):
    here: Registry
    there: Registry  # another process's write side on the same database
    first: uuid.UUID  # two offers of the unit "own", capacity 5
    second: uuid.UUID
    own: uuid.UUID  # the offering unit, and its liaison
    liaison: Command
    other: uuid.UUID  # a unit with needs


@pytest.fixture
async def cast(database_dsn: str) -> AsyncIterator[Cast]:
    here = await open_registry(Settings(database_url=database_dsn))
    there = await open_registry(Settings(database_url=database_dsn))
    try:
        own, other = uuid.uuid4(), uuid.uuid4()
        for unit_id, name in ((own, "和平眼科医院"), (other, "城管欧阳中队")):
            register = RegisterUnit(unit_id=unit_id, name=name, kind="public_institution", area="虹口区")
            await commands.register_unit(here, CLI, register)
        liaison = Command(actor=Actor(subject="liaison:test", role=Role.LIAISON, unit_id=own))
        first, second = await offer(here, own), await offer(here, own)
        yield Cast(here, there, first, second, own, liaison, other)
    finally:
        await there.close()
        await here.close()


async def offer(registry: Registry, unit_id: uuid.UUID, capacity: int = 5) -> uuid.UUID:
    submit = SubmitOffer(
        offer_id=uuid.uuid4(), unit_id=unit_id, category="repair.umbrella", title="修伞",
        capacity=Capacity(quantity=capacity, measure="people"),
        availability=[OneOffWindow(starts_at=DAY[0], ends_at=DAY[1])],
    )  # fmt: skip
    return (await commands.submit_offer(registry, CLI, submit)).entity_id


async def published_slot(registry: Registry, quantity: int) -> dict[str, uuid.UUID]:
    """A published plan with one slot of `quantity`: what a claim names."""
    plan_id, slot_id = uuid.uuid4(), uuid.uuid4()
    draft = DraftPlan(
        plan_id=plan_id, title="秋收", venue="党群服务中心", area="虹口区", starts_at=DAY[0], ends_at=DAY[1]
    )
    await commands.change_plan(registry, CLI, draft, creates=True)
    slot = AddSlot(
        plan_id=plan_id, slot_id=slot_id, category="repair", quantity=quantity, starts_at=MORNING[0],
        ends_at=MORNING[1],
    )  # fmt: skip
    await commands.change_plan(registry, CLI, slot)
    await commands.change_plan(registry, CLI, PublishPlan(plan_id=plan_id))
    return {"plan_id": plan_id, "slot_id": slot_id}


async def open_need(registry: Registry, unit_id: uuid.UUID, quantity: int) -> dict[str, uuid.UUID]:
    need_id = uuid.uuid4()
    raise_need = RaiseNeed(
        need_id=need_id, unit_id=unit_id, category="repair", title="修伞志愿者", quantity=quantity,
        starts_at=MORNING[0], ends_at=MORNING[1],
    )  # fmt: skip
    await commands.raise_need(registry, CLI, raise_need)
    return {"need_id": need_id}


async def claim(registry: Registry, cast: Cast, offer_id: uuid.UUID, target: dict[str, uuid.UUID]) -> str:
    """A liaison claims one of `target` with the offer: "201", or "409" when it cannot be had."""
    cmd = MakeCommitment(commitment_id=uuid.uuid4(), offer_id=offer_id, quantity=1, **target)
    try:
        await commitments.make_commitment(registry, cast.liaison, cmd)
    except Conflict:
        return "409"
    return "201"


async def committed(registry: Registry, target: dict[str, uuid.UUID]) -> int:
    if "need_id" in target:
        needed, _ = await registry.load(NEEDS, target["need_id"])
        return int(needed.committed)
    planned, _ = await registry.load(PLANS, target["plan_id"])
    return int(planned.slots[0].committed)


# -- hot streams: in one process no claim should lose an append -------------------------------


@pytest.mark.parametrize("aim", ["slot", "need"])
async def test_sixty_concurrent_claims_on_one_target_all_succeed_without_lost_appends(
    cast: Cast, aim: str
) -> None:
    offers = [await offer(cast.here, cast.own) for _ in range(60)]
    target = await (published_slot(cast.here, 60) if aim == "slot" else open_need(cast.here, cast.other, 60))
    tried, lost = attempts(), lost_appends()
    claims = await asyncio.gather(*(claim(cast.here, cast, o, target) for o in offers))
    assert claims == ["201"] * 60
    # Every claim appends to the target's stream; in one process they take turns instead of
    # racing (optimistically, most lose at least once: dozens of lost appends in all).
    assert (attempts() - tried, lost_appends() - lost) == (60, 0)
    assert await committed(cast.here, target) == 60
    assert len(cast.here.locks) == 0  # the lock table kept none of the streams


async def test_thirty_claims_on_capacity_five_late_ones_are_409_after_one_attempt(
    cast: Cast,
) -> None:
    target = await published_slot(cast.here, 30)
    tried, lost, early = attempts(), lost_appends(), total(WRITE_EARLY_REFUSALS)
    claims = await asyncio.gather(*(claim(cast.here, cast, cast.first, target) for _ in range(30)))
    assert sorted(claims) == ["201"] * 5 + ["409"] * 25
    # Every claim was decided once, on fresh state: the 25 late ones saw the capacity gone and
    # were told so at once, under the turn or (when the capacity was gone before they queued,
    # which depends on the machine's timing) before it; none lost a race and tried again.
    refused_early = total(WRITE_EARLY_REFUSALS) - early
    assert (attempts() - tried + refused_early, lost_appends() - lost) == (30, 0)
    offered, _ = await cast.here.load(OFFERS, cast.first)
    assert offered.remaining == 0


async def test_claims_on_one_slot_from_two_processes_race_retry_and_all_land(cast: Cast) -> None:
    offers = [await offer(cast.here, cast.own) for _ in range(40)]
    target = await published_slot(cast.here, 40)
    claims = await asyncio.gather(
        *(claim(cast.here if i % 2 else cast.there, cast, o, target) for i, o in enumerate(offers))
    )
    assert claims == ["201"] * 40
    assert await committed(cast.here, target) == 40


# -- retries, with the second registry as the other process -----------------------------------


def revise_both(cast: Cast, changed_elsewhere: list[uuid.UUID], rounds: int = 1) -> Any:
    """A unit of work tagging both offers; in its first `rounds` attempts the other process
    revises `changed_elsewhere` after they were read, so the append loses."""
    seen: list[UnitOfWork] = []

    async def work(unit: UnitOfWork) -> uuid.UUID:
        seen.append(unit)
        states = {key: await unit.require(OFFERS, key) for key in (cast.first, cast.second)}
        if len(seen) <= rounds:
            for key in changed_elsewhere:
                await cast.there.execute(
                    OFFERS, key, ReviseOffer(offer_id=key, title=f"别处{len(seen)}"), CLI
                )
        for key, state in states.items():
            unit.emit(OFFERS, key, OFFERS.decide(state, ReviseOffer(offer_id=key, tags=["义诊"])))
        return cast.first

    return work, seen


async def test_a_retry_reads_again_only_the_stream_that_moved(cast: Cast) -> None:
    work, seen = revise_both(cast, [cast.first])
    lost = lost_appends()
    await run(cast.here, CLI, work)
    assert len(seen) == 2 and lost_appends() - lost == 1
    first = stream_id("offer", cast.first)
    # The first attempt took both from the state cache (this process wrote them last); the
    # retry read from the store only the one the append lost on.
    assert seen[0].reads == [first]
    # Decided again on the fresh state: the other process's title and this tag both stay.
    state, version = await cast.here.load(OFFERS, cast.first)
    assert (state.title, state.tags, version) == ("别处1", ["义诊"], 3)


async def test_a_retry_reads_again_every_stream_that_moved(cast: Cast) -> None:
    work, seen = revise_both(cast, [cast.second, cast.first])
    await run(cast.here, CLI, work)
    first, second = stream_id("offer", cast.first), stream_id("offer", cast.second)
    # Lost on one; the version query found the other moved too: the retry read both.
    assert seen[0].reads == [first, second]
    for key in (cast.first, cast.second):
        state, _ = await cast.here.load(OFFERS, key)
        assert (state.title, state.tags) == ("别处1", ["义诊"])


async def test_an_if_match_stream_lost_to_another_process_is_412_without_a_retry(cast: Cast) -> None:
    conditional = msgspec.structs.replace(CLI, if_match=1)
    decided = 0

    async def work(unit: UnitOfWork) -> uuid.UUID:
        nonlocal decided
        decided += 1
        state = await unit.require(OFFERS, cast.first, conditional=True)
        if decided == 1:
            await cast.there.execute(OFFERS, cast.first, ReviseOffer(offer_id=cast.first, title="别处"), CLI)
        unit.emit(OFFERS, cast.first, OFFERS.decide(state, ReviseOffer(offer_id=cast.first, tags=["义诊"])))
        return cast.first

    with pytest.raises(PreconditionFailed) as refused:
        await run(cast.here, conditional, work)
    assert (refused.value.expected, refused.value.actual, decided) == (1, 2, 1)


async def test_a_write_that_keeps_losing_is_409_after_the_policys_attempts(cast: Cast) -> None:
    cast.here.retry = RetryPolicy(attempts=3, base=0.001, cap=0.001)
    work, seen = revise_both(cast, [cast.first], rounds=99)
    with pytest.raises(Conflict, match=r"kept changing .*3 attempts"):
        await run(cast.here, CLI, work)
    assert len(seen) == 3


async def test_unconditional_revisions_from_two_processes_are_all_applied(cast: Cast) -> None:
    async def revise(registry: Registry, i: int) -> int:
        written = await commands.change_offer(
            registry, CLI, ReviseOffer(offer_id=cast.first, tags=[f"标签{i}"])
        )
        return written.version

    versions = await asyncio.gather(*(revise(cast.here if i % 2 else cast.there, i) for i in range(20)))
    # No update lost: each landed on the one before it, one version each.
    assert sorted(versions) == list(range(2, 22))
    assert len(cast.here.locks) == len(cast.there.locks) == 0


# -- the retry policy and the lock table ------------------------------------------------------


def test_the_pause_before_a_retry_is_full_jitter_under_a_doubling_capped_bound() -> None:
    policy = RetryPolicy(attempts=10, base=0.004, cap=0.05)
    for retry, bound in [(1, 0.004), (2, 0.008), (4, 0.032), (5, 0.05), (9, 0.05)]:
        pauses = [policy.pause(retry) for _ in range(2000)]
        assert all(0 <= p <= bound for p in pauses)
        # Full jitter: anywhere from nothing to the bound, not clustered near it.
        assert min(pauses) < bound * 0.1 and max(pauses) > bound * 0.9


async def test_holders_of_one_stream_take_turns_and_of_others_run_side_by_side() -> None:
    locks = StreamLocks()
    inside: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}
    both_at_once = False

    async def hold(stream: str) -> None:
        nonlocal both_at_once
        async with locks.hold([stream]):
            inside[stream] += 1
            most[stream] = max(most[stream], inside[stream])
            for _ in range(3):
                await asyncio.sleep(0)
                both_at_once = both_at_once or (inside["a"] > 0 and inside["b"] > 0)
            inside[stream] -= 1

    await asyncio.gather(*(hold("a" if i % 2 else "b") for i in range(20)))
    assert most == {"a": 1, "b": 1} and both_at_once
    assert len(locks) == 0


async def test_holders_of_overlapping_streams_named_in_any_order_do_not_deadlock() -> None:
    locks = StreamLocks()
    done = 0

    async def hold(streams: list[str]) -> None:
        nonlocal done
        async with locks.hold(streams):
            await asyncio.sleep(0)
            done += 1

    orders = [["a", "b"], ["b", "a"], ["b", "c", "a"], ["c", "a"]] * 10
    await asyncio.wait_for(asyncio.gather(*(hold(o) for o in orders)), timeout=30)
    assert done == 40 and len(locks) == 0


async def test_a_waiter_that_is_cancelled_leaves_no_entry_behind() -> None:
    locks = StreamLocks()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.hold(["a"]):
            await release.wait()

    holding = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    release.set()
    await holding
    assert len(locks) == 0


async def test_concurrent_copies_of_one_keyed_request_all_get_the_first_ones_answer(cast: Cast) -> None:
    keyed = msgspec.structs.replace(cast.liaison, idempotency_key="offer-burst", fingerprint=b"one request")
    submit = SubmitOffer(
        offer_id=keyed.new_id(), unit_id=cast.own, category="repair.umbrella", title="修伞",
        capacity=Capacity(quantity=5, measure="people"),
    )  # fmt: skip
    # The copies queue on the offer's stream: each after the first finds the offer made and is
    # answered with the first one's result rather than "already exists".
    answers = await asyncio.gather(*(commands.submit_offer(cast.here, keyed, submit) for _ in range(8)))
    assert {(a.entity_id, a.version, a.position) for a in answers} == {
        (submit.offer_id, 1, answers[0].position)
    }
    _, version = await cast.here.load(OFFERS, submit.offer_id)
    assert version == 1


async def test_concurrent_copies_of_one_keyed_revision_all_get_the_first_ones_position(cast: Cast) -> None:
    keyed = msgspec.structs.replace(cast.liaison, idempotency_key="retitle", fingerprint=b"one request")
    revise = ReviseOffer(offer_id=cast.first, title="修伞与磨刀")
    # After the first, the revision changes nothing: the copies are still its replays, position and all.
    answers = await asyncio.gather(*(commands.change_offer(cast.here, keyed, revise) for _ in range(4)))
    assert {(a.version, a.position) for a in answers} == {(2, answers[0].position)}
    assert answers[0].position is not None


# -- turns: all at once, refusals without queueing, every stream written -----------------------


async def held_until(locks: StreamLocks, streams: list[str], taken: asyncio.Event, go: asyncio.Event) -> None:
    """Hold `streams`' turns (as another command of the process would) until told to let go."""
    async with locks.hold(streams):
        taken.set()
        await go.wait()


async def test_a_waiter_for_two_streams_holds_neither_while_one_is_busy() -> None:
    locks = StreamLocks()
    taken, go = asyncio.Event(), asyncio.Event()
    holder = asyncio.create_task(held_until(locks, ["plan-x"], taken, go))
    await taken.wait()
    waiting = asyncio.create_task(held_until(locks, ["offer-a", "plan-x"], asyncio.Event(), asyncio.Event()))
    while locks.queued("offer-a") == 0:
        await asyncio.sleep(0)
    # Taken one by one, the waiter would hold offer-a while queued for plan-x: this would hang.
    async with asyncio.timeout(30), locks.hold(["offer-a", "plan-y"]):
        assert not waiting.done()
    go.set()
    await holder
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert len(locks) == 0


async def test_a_waiter_passed_by_younger_ones_reserves_its_streams_after_insistent_passes() -> None:
    locks = StreamLocks()
    taken, go = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def turn(name: str, streams: list[str]) -> None:
        async with locks.hold(streams):
            order.append(name)
            await asyncio.sleep(0)

    holder = asyncio.create_task(held_until(locks, ["b"], taken, go))
    await taken.wait()
    both = asyncio.create_task(turn("both", ["a", "b"]))
    await asyncio.sleep(0)
    younger = [asyncio.create_task(turn(f"a{i}", ["a"])) for i in range(20)]
    # b is let go only once every younger one has had "a" or is stuck waiting for it.
    while sum(t.done() for t in younger) + locks.queued("a") - 1 < len(younger):
        await asyncio.sleep(0)
    go.set()
    await asyncio.gather(holder, both, *younger)
    # Without the reservation all twenty would pass it while b is busy.
    assert order.index("both") == INSISTENT
    assert len(locks) == 0


async def test_a_claim_that_cannot_succeed_is_refused_while_another_has_the_offers_turn(cast: Cast) -> None:
    target = await published_slot(cast.here, 30)
    assert [await claim(cast.here, cast, cast.first, target) for _ in range(6)] == ["201"] * 5 + ["409"]
    taken, go = asyncio.Event(), asyncio.Event()
    spent, spare = stream_id("offer", cast.first), stream_id("offer", cast.second)
    holder = asyncio.create_task(held_until(cast.here.locks, [spent, spare], taken, go))
    await taken.wait()
    # The capacity is gone by the state read now: that is the answer, without queueing.
    refused = total(WRITE_EARLY_REFUSALS)
    async with asyncio.timeout(30):
        assert await claim(cast.here, cast, cast.first, target) == "409"
    assert total(WRITE_EARLY_REFUSALS) - refused == 1
    # One that can succeed waits for its turn instead.
    waiting = asyncio.create_task(claim(cast.here, cast, cast.second, target))
    while cast.here.locks.queued(spare) == 0 and not waiting.done():
        await asyncio.sleep(0.01)
    assert not waiting.done()
    go.set()
    await holder
    assert await waiting == "201"
    assert len(cast.here.locks) == 0


async def test_a_release_takes_the_turns_of_the_offer_and_plan_it_writes(cast: Cast) -> None:
    target = await published_slot(cast.here, 30)
    commitment_id = uuid.uuid4()
    made = MakeCommitment(commitment_id=commitment_id, offer_id=cast.first, quantity=1, **target)
    await commitments.make_commitment(cast.here, cast.liaison, made)
    taken, go = asyncio.Event(), asyncio.Event()
    offer_stream = stream_id("offer", cast.first)
    holder = asyncio.create_task(held_until(cast.here.locks, [offer_stream], taken, go))
    await taken.wait()
    lost = lost_appends()
    release = commitments.step(cast.here, cast.liaison, commitment_id, commitments.releasing("人手调整"))
    releasing = asyncio.create_task(release)
    while cast.here.locks.queued(offer_stream) == 0 and not releasing.done():
        await asyncio.sleep(0.01)
    # It names only its commitment, but appends to the offer too: it waits for the offer's turn.
    assert not releasing.done()
    go.set()
    await asyncio.gather(holder, releasing)
    offered, _ = await cast.here.load(OFFERS, cast.first)
    assert (offered.remaining, lost_appends() - lost) == (5, 0)


async def test_a_claim_on_a_free_plan_is_not_held_up_by_a_claim_queued_for_a_busy_one(cast: Cast) -> None:
    busy, free = await published_slot(cast.here, 30), await published_slot(cast.here, 30)
    taken, go = asyncio.Event(), asyncio.Event()
    busy_stream = stream_id("plan", busy["plan_id"])
    holder = asyncio.create_task(held_until(cast.here.locks, [busy_stream], taken, go))
    await taken.wait()
    queued = asyncio.create_task(claim(cast.here, cast, cast.first, busy))
    while cast.here.locks.queued(busy_stream) == 0:
        await asyncio.sleep(0.01)
    # Same offer, another plan: the queued claim holds no turn of the offer while it waits.
    async with asyncio.timeout(30):
        assert await claim(cast.here, cast, cast.first, free) == "201"
    assert not queued.done()
    go.set()
    await holder
    assert await queued == "201"


async def test_a_stream_moved_by_this_process_is_not_read_again_under_the_turn(cast: Cast) -> None:
    target = await published_slot(cast.here, 30)
    unit = UnitOfWork(cast.here, cast.liaison)
    assert (await unit.require(OFFERS, cast.first)).remaining == 5
    # A claim of this process lands meanwhile (as the ones ahead in the queue do).
    assert await claim(cast.here, cast, cast.first, target) == "201"
    assert not await unit.forget_moved()
    unit.begin_attempt()
    # Its state comes from what the claim's append left, at the version the store reports.
    assert (await unit.require(OFFERS, cast.first)).remaining == 4
    assert unit.version_of(OFFERS, cast.first) == 2
    assert unit.reads == []  # first from the cache as this process's submit left it, then as the claim did


async def test_a_write_queued_behind_a_keyed_one_reads_the_stream_that_one_left_unkept(cast: Cast) -> None:
    # A keyed request's state is not kept, so the cache is behind the store once it lands: the
    # write queued behind it must read the stream, not take the cache and lose its append.
    taken, go = asyncio.Event(), asyncio.Event()
    offer_stream = stream_id("offer", cast.first)
    holder = asyncio.create_task(held_until(cast.here.locks, [offer_stream], taken, go))
    await taken.wait()
    keyed = msgspec.structs.replace(CLI, idempotency_key="改名-2")
    queued = []
    for context, title in ((keyed, "修鞋"), (CLI, "修锁")):
        revise = ReviseOffer(offer_id=cast.first, title=title)
        queued.append(asyncio.create_task(commands.change_offer(cast.here, context, revise)))
        while cast.here.locks.queued(offer_stream) < len(queued):
            await asyncio.sleep(0.01)
    lost = lost_appends()
    go.set()
    await holder
    first, second = await asyncio.gather(*queued)
    assert (first.version, second.version, second.state.title, lost_appends() - lost) == (2, 3, "修锁", 0)


# -- first looks that ask the store nothing --------------------------------------------------


class Watched(msgspec.Struct):
    """A registry whose pool has one connection, a unit of it, and every statement that connection
    is sent once `watch()` is called."""

    registry: Registry
    unit_id: uuid.UUID
    sent: list[str]
    dsn: str  # the database's, as the tests' own role (the registry's sessions may not lock the log)

    async def watch(self) -> None:
        def log(record: Any) -> None:
            self.sent.append(record.query)

        async with self.registry.store.pool.acquire() as conn:
            conn.add_query_logger(log)
        self.registry.store.lookups.add_query_logger(log)  # the write path's version queries

    def read_a_stream(self) -> bool:
        return bool({query("events/read-stream"), query("events/stream-versions")} & set(self.sent))


@pytest.fixture
async def watched(database_dsn: str) -> AsyncIterator[Watched]:
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=1))
    try:
        unit_id = uuid.uuid4()
        register = RegisterUnit(unit_id=unit_id, name="眼科医院", kind="public_institution", area="虹口区")
        await commands.register_unit(registry, CLI, register)
        await commands.require_unit_exists(registry, unit_id)
        # The runner is not started: a write's own catch-up runs on that connection too.
        yield Watched(registry, unit_id, [], database_dsn)
    finally:
        await registry.close()


async def test_a_create_appends_without_reading_the_stream_of_the_id_it_has_just_drawn(
    watched: Watched,
) -> None:
    # Reading it would find nothing, at the cost of one more wait for a pooled connection under
    # load: the append expects the stream empty instead.
    await watched.watch()
    offer_id = await offer(watched.registry, watched.unit_id)
    assert not watched.read_a_stream()
    submitted, version = await watched.registry.load(OFFERS, offer_id)
    assert (submitted.unit_id, version) == (watched.unit_id, 1)


async def test_a_change_to_a_stream_this_process_wrote_last_is_decided_without_reading_it(
    watched: Watched,
) -> None:
    # The append expects the version the cache holds: the store is asked nothing before it.
    offer_id = await offer(watched.registry, watched.unit_id)
    await watched.watch()
    revise = ReviseOffer(offer_id=offer_id, title="修鞋")
    written = await commands.change_offer(watched.registry, CLI, revise)
    assert (written.version, written.state.title) == (2, "修鞋")
    assert not watched.read_a_stream()


async def test_a_claim_on_streams_this_process_wrote_last_reads_none_of_them(watched: Watched) -> None:
    # Its offer and plan come from the state cache, its new commitment is presumed absent.
    registry = watched.registry
    offer_id, target = await offer(registry, watched.unit_id), await published_slot(registry, 3)
    await watched.watch()
    cmd = MakeCommitment(commitment_id=uuid.uuid4(), offer_id=offer_id, quantity=1, **target)
    await commitments.make_commitment(registry, CLI, cmd)
    assert not watched.read_a_stream()
    assert await committed(registry, target) == 1


async def test_a_claim_queued_behind_another_decides_on_what_that_one_left_without_asking_the_store(
    watched: Watched,
) -> None:
    # Under the turns the streams are taken as the command ahead left them in the state cache:
    # no version query while the turns are held, and no append lost on a version gone by.
    registry = watched.registry
    offer_id, target = await offer(registry, watched.unit_id), await published_slot(registry, 3)
    await watched.watch()
    lost, tried = lost_appends(), attempts()
    two = [MakeCommitment(commitment_id=uuid.uuid4(), offer_id=offer_id, quantity=1, **target) for _ in "ab"]
    await asyncio.gather(*(commitments.make_commitment(registry, CLI, cmd) for cmd in two))
    assert (lost_appends() - lost, attempts() - tried) == (0, 2)
    assert query("events/stream-versions") not in watched.sent
    assert await committed(registry, target) == 2


async def refused_claim(registry: Registry, offer_id: uuid.UUID, target: dict[str, uuid.UUID]) -> str:
    late = MakeCommitment(commitment_id=uuid.uuid4(), offer_id=offer_id, quantity=1, **target)
    with pytest.raises(Conflict, match="still uncovered"):
        await commitments.make_commitment(registry, CLI, late)
    return "409"


async def full_slot(watched: Watched) -> tuple[uuid.UUID, dict[str, uuid.UUID]]:
    """An offer and a slot of one that it has taken: the next claim on it is refused."""
    registry = watched.registry
    offer_id, target = await offer(registry, watched.unit_id), await published_slot(registry, 1)
    one = MakeCommitment(commitment_id=uuid.uuid4(), offer_id=offer_id, quantity=1, **target)
    await commitments.make_commitment(registry, CLI, one)
    return offer_id, target


async def test_a_refusal_under_the_turns_lets_them_go_before_its_version_query(watched: Watched) -> None:
    # The refusal was decided on cached states: one version query checks it, and that query
    # (held up here by a lock on the log) must not keep the offer's and plan's turns from others.
    registry = watched.registry
    offer_id, target = await full_slot(watched)
    blocker = await asyncpg.connect(watched.dsn)
    try:
        async with blocker.transaction():
            await blocker.execute("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
            tried = attempts()
            refusing = asyncio.create_task(refused_claim(registry, offer_id, target))
            async with asyncio.timeout(5):
                while attempts() == tried or len(registry.locks):
                    await asyncio.sleep(0.01)
            assert not refusing.done()  # its version query waits for the lock
        assert await refusing == "409"
    finally:
        await blocker.close()
    assert await committed(registry, target) == 1


async def test_a_refusal_is_checked_without_waiting_for_a_pooled_connection(watched: Watched) -> None:
    # Under load the pool's connections are the readers' queue: the version query that checks a
    # refusal is asked on a connection of the store's own.
    registry = watched.registry
    offer_id, target = await full_slot(watched)
    await watched.watch()
    async with registry.store.pool.acquire(), asyncio.timeout(5):  # the pool's one connection
        assert await refused_claim(registry, offer_id, target) == "409"
    assert query("events/stream-versions") in watched.sent


@pytest.mark.parametrize("process", ["here", "there"])
async def test_a_create_on_an_id_that_exists_is_refused_once_the_stream_is_read(
    cast: Cast, process: str
) -> None:
    # The append that took it as absent is refused by the store; the next attempt reads it.
    registry: Registry = getattr(cast, process)
    submit = SubmitOffer(
        offer_id=cast.first, unit_id=cast.own, category="repair.shoe", title="修鞋",
        capacity=Capacity(quantity=1, measure="people"),
        availability=[OneOffWindow(starts_at=DAY[0], ends_at=DAY[1])],
    )  # fmt: skip
    with pytest.raises(Conflict, match="already exists"):
        await commands.submit_offer(registry, CLI, submit)
    kept, version = await registry.load(OFFERS, cast.first)
    assert (kept.title, version) == ("修伞", 1)


async def test_a_refusal_decided_on_a_cached_state_another_process_moved_is_decided_again(
    cast: Cast,
) -> None:
    # Here the offer is active as this process left it; the other process paused it since.
    await commands.change_offer(cast.there, CLI, PauseOffer(offer_id=cast.first))
    resumed = await commands.change_offer(cast.here, CLI, ResumeOffer(offer_id=cast.first))
    assert (resumed.state.status, resumed.version) == ("active", 3)
    # And a refusal that holds on the fresh state is given: it is active now.
    with pytest.raises(Conflict, match="only a paused offer"):
        await commands.change_offer(cast.there, CLI, ResumeOffer(offer_id=cast.first))


async def test_an_if_match_naming_a_version_another_process_made_is_judged_on_the_store(
    cast: Cast,
) -> None:
    # Here caches version 1; the other process made version 2, which the caller names.
    await commands.change_offer(cast.there, CLI, ReviseOffer(offer_id=cast.first, title="别处"))
    conditional = msgspec.structs.replace(CLI, if_match=2)
    written = await commands.change_offer(
        cast.here, conditional, ReviseOffer(offer_id=cast.first, title="此处")
    )
    assert (written.version, written.state.title) == (3, "此处")
    with pytest.raises(PreconditionFailed):
        await commands.change_offer(cast.here, conditional, ReviseOffer(offer_id=cast.first, title="又一次"))


async def test_a_stream_a_keyed_request_moved_is_read_from_the_store_at_the_next_first_look(
    cast: Cast,
) -> None:
    # A keyed request's state is not kept (its answer may be an earlier copy's), so what the cache
    # holds is behind the store: taking it would only make the next append lose.
    keyed = msgspec.structs.replace(CLI, idempotency_key="改名-1")
    await commands.change_offer(cast.here, keyed, ReviseOffer(offer_id=cast.first, title="修鞋"))
    lost = lost_appends()
    written = await commands.change_offer(cast.here, CLI, ReviseOffer(offer_id=cast.first, title="修锁"))
    assert (written.version, written.state.title, lost_appends() - lost) == (3, "修锁", 0)
