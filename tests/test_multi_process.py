"""Several server processes on one database, under concurrent and conflicting writes.

Both ways of running more than one process: `registry serve --workers 2` (uvicorn's supervisor
and two workers sharing one port) and two `registry serve` processes on two ports. Writes go
through every process at once, some fighting over one offer's version or capacity. Afterwards
there is one gap-free log whose chain verifies, every process gives the same answers, exactly
one process leads the projection at any moment, and when the leader is SIGKILLed another
process takes over and keeps the read model up to date.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import asyncpg
import httpx
import pytest

from events import NO_STREAM, EventStore, NewEvent
from registry.domain.events import UnitRegistered, tag_of
from registry.domain.values import UnitKind
from registry.read.projection import registry_codec
from registry.streams import stream_id
from tests.api_fixtures import need_body, offer_body, plan_body, unit_body
from tests.helpers import coordinator_token, free_port, wait_until_serving

pytestmark = pytest.mark.timeout(150)

DAY = {"starts_at": "2026-10-17T08:00:00+08:00", "ends_at": "2026-10-17T18:00:00+08:00"}
MORNING = {"starts_at": "2026-10-17T09:00:00+08:00", "ends_at": "2026-10-17T12:00:00+08:00"}
ROUNDS = 4  # If-Match races on one offer
RACERS = 6  # per process and round
CLAIMS = 10  # per process, one each, on an offer of capacity 5
CAPACITY = 5
PATCHES = 5  # unconditional revisions per process
SUBMITS = 8  # new offers per process (and half as many needs)
# The runner's leadership lock, as `events/leader-try-lock.sql` takes it: pg_try_advisory_lock(bigint)
# shows in pg_locks as the key's high and low 32 bits, objsubid 1.
LEADER_HOLDERS = """
SELECT l.pid FROM pg_locks l
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = ((hashtext('projection-runner:registry')::bigint >> 32) & 4294967295)::oid
  AND l.objid = (hashtext('projection-runner:registry')::bigint & 4294967295)::oid
"""


# -- processes ---------------------------------------------------------------------------------


@dataclass
class Serve:
    """One `registry serve` command line, run as in production (migrate, then serve)."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _start(dsn: str, workers: int, log: Path) -> Serve:
    port = free_port()
    out: BinaryIO = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "registry.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env={**os.environ, "DATABASE_URL": dsn}, stdout=out, stderr=subprocess.STDOUT,
        # Its own process group, so that whatever it leaves behind can be ended with it.
        start_new_session=True,
    )  # fmt: skip
    out.close()
    return Serve(process, f"http://127.0.0.1:{port}", log)


def _stop(serve: Serve) -> None:
    if serve.process.poll() is not None:
        return  # the test killed it; with one worker there is nothing else in its group
    serve.process.terminate()  # uvicorn's supervisor passes it on to its workers
    try:
        serve.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        serve.process.kill()
        serve.process.wait(timeout=10)
    # A worker orphaned by a supervisor that did not end cleanly: only our own process group.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(serve.process.pid, signal.SIGKILL)


@contextlib.contextmanager
def serving(dsn: str, tmp_path: Path, workers: list[int]) -> Iterator[list[Serve]]:
    """`registry serve` once per entry of `workers`, all started at once (their migrations race)."""
    serves = [_start(dsn, n, tmp_path / f"serve-{i}.log") for i, n in enumerate(workers)]
    try:
        for serve in serves:
            _wait_ready(serve)
        yield serves
    finally:
        for serve in serves:
            _stop(serve)


def _wait_ready(serve: Serve) -> None:
    wait_until_serving(serve.process, f"{serve.base}/ready", timeout=60, log=serve.log)


def _workers_of(supervisor: int) -> set[int]:
    """The live uvicorn workers under `supervisor` (not multiprocessing's resource tracker)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, parent = (entry / "stat").read_text().rpartition(")")[2].split()[:2]
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(parent) == supervisor and state != "Z" and b"spawn_main" in command:
            found.add(int(entry.name))
    return found


# -- what each process says about itself --------------------------------------------------------


@dataclass
class Scrape:
    pid: int
    leader: bool
    requests: Counter[str] = field(default_factory=Counter)  # by method


def _parse(text: str) -> Scrape:
    pid = re.search(r'^registry_process_info\{pid="(\d+)"\} 1\.0$', text, re.M)
    leader = re.search(r"^registry_projection_leader (\S+)$", text, re.M)
    assert pid is not None and leader is not None, text[:2000]
    requests: Counter[str] = Counter()
    for method, count in re.findall(r'^registry_requests_total\{method="(\w+)",.*\} (\S+)$', text, re.M):
        requests[method] += int(float(count))
    return Scrape(int(pid[1]), float(leader[1]) == 1.0, requests)


async def scrape_each(bases: list[str], pids: set[int], timeout: float = 30) -> dict[int, Scrape]:
    """/metrics of every process in `pids`. Workers share a port, so each scrape opens a new
    connection, which lands on whichever worker accepts it: scrape until every one has answered."""
    found: dict[int, Scrape] = {}
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=5, headers={"Connection": "close"}) as client:
        while not pids <= found.keys():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no /metrics from {pids - found.keys()}; got {set(found)}")
            for base in bases:
                with contextlib.suppress(httpx.TransportError):  # a worker just killed or starting
                    scrape = _parse((await client.get(f"{base}/metrics")).text)
                    found[scrape.pid] = scrape
    return {pid: found[pid] for pid in pids}


async def settled_workers(supervisor: int, base: str, gone: int | None = None) -> set[int]:
    """The supervisor's two workers once both serve. Uvicorn replaces a worker that dies, or that
    misses its health check (possible while a busy machine starts it), so the set can change."""
    deadline = time.monotonic() + 60
    while True:
        workers = _workers_of(supervisor) - {gone}
        if len(workers) == 2:
            with contextlib.suppress(TimeoutError):
                await scrape_each([base], workers, timeout=10)
                if _workers_of(supervisor) - {gone} == workers:
                    return workers
        assert time.monotonic() < deadline, f"the workers did not settle: {workers}"
        await asyncio.sleep(0.2)


async def one_leader(bases: list[str], pids: set[int], timeout: float = 20) -> int:
    """The pid of the one process that says it leads; waits out a takeover in progress."""
    deadline = time.monotonic() + timeout
    while True:
        scrapes = await scrape_each(bases, pids)
        leaders = [pid for pid, s in scrapes.items() if s.leader]
        assert len(leaders) <= 1, f"two processes say they lead: {leaders}"
        if leaders:
            return leaders[0]
        assert time.monotonic() < deadline, f"no process leads among {pids}"
        await asyncio.sleep(0.2)


class LeaderWatch:
    """Samples, every 50 ms, which database sessions hold the projection runner's lock."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.samples: list[list[int]] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LeaderWatch:
        conn = await asyncpg.connect(self.dsn)
        self._task = asyncio.create_task(self._sample(conn))
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _sample(self, conn: asyncpg.Connection[Any]) -> None:
        try:
            while True:
                self.samples.append([r["pid"] for r in await conn.fetch(LEADER_HOLDERS)])
                await asyncio.sleep(0.05)
        finally:
            await conn.close()

    async def holder(self, timeout: float = 15) -> int:
        """The backend pid holding the lock now (waiting for one during a takeover)."""
        deadline = time.monotonic() + timeout
        while not self.samples or len(self.samples[-1]) != 1:
            assert time.monotonic() < deadline, f"nobody holds the leader lock: {self.samples[-5:]}"
            await asyncio.sleep(0.05)
        return self.samples[-1][0]

    def check(self) -> None:
        most = max((len(s) for s in self.samples), default=0)
        assert most <= 1, f"{most} sessions held the leader lock at once"
        assert len(self.samples) > 20, "the watch barely ran"


# -- the cast and the writes -------------------------------------------------------------------


@dataclass
class Cast:
    coordinator: dict[str, str]
    liaison: dict[str, str]
    own: str
    other: str
    capped: dict[str, Any]  # the offer whose capacity the claims fight over
    raced: dict[str, Any]  # the offer revised by everyone
    plan: dict[str, Any]
    slot: dict[str, Any]


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    return response.json()  # type: ignore[no-any-return]


async def make_cast(client: httpx.AsyncClient, dsn: str) -> Cast:
    coordinator = {"Authorization": f"Bearer {await coordinator_token(dsn, 'multi-process test')}"}
    own = _ok(await client.post("/api/v1/units", json=unit_body("和平眼科医院"), headers=coordinator), 201)
    other = _ok(await client.post("/api/v1/units", json=unit_body("城管欧阳中队"), headers=coordinator), 201)
    issued = _ok(
        await client.post(
            "/api/v1/tokens", json={"role": "liaison", "unit_id": own["id"]}, headers=coordinator
        ),
        201,
    )
    liaison = {"Authorization": f"Bearer {issued['token']}"}

    async def offer(**overrides: Any) -> dict[str, Any]:
        body = offer_body(category="repair.umbrella", availability=[DAY], **overrides)
        return _ok(await client.post(f"/api/v1/units/{own['id']}/offers", json=body, headers=liaison), 201)

    capped = await offer(capacity={"quantity": CAPACITY, "measure": "people"})
    raced = await offer(title="被争相修改的服务")
    plan = _ok(await client.post("/api/v1/plans", json=plan_body(**DAY), headers=coordinator), 201)
    slot = _ok(
        await client.post(
            f"/api/v1/plans/{plan['id']}/slots",
            json={"category": "repair", "quantity": 100, **MORNING},
            headers=coordinator,
        ),
        201,
    )
    _ok(await client.post(f"/api/v1/plans/{plan['id']}/publish", headers=coordinator))
    return Cast(coordinator, liaison, own["id"], other["id"], capped, raced, plan, slot)


async def if_match_races(lanes: list[httpx.AsyncClient], cast: Cast) -> None:
    """Rounds of revisions of one offer, all naming the same version, through every process at
    once: exactly one wins each round, every other gets 412; the winner's title is what stays."""
    path = f"/api/v1/offers/{cast.raced['id']}"
    for round_ in range(ROUNDS):
        shown = await lanes[0].get(path, headers=cast.coordinator)
        version = int(shown.headers["etag"].strip('"'))
        titles = [f"第{round_}轮-{i}-{n}" for i in range(len(lanes)) for n in range(RACERS)]
        responses = await asyncio.gather(*(
            lanes[i % len(lanes)].patch(
                path, json={"title": title}, headers={**cast.liaison, "If-Match": f'"{version}"'}
            )
            for i, title in enumerate(titles)
        ))  # fmt: skip
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: 1, 412: len(titles) - 1}, statuses
        for r in responses:
            if r.status_code == 412:
                assert r.headers["content-type"].startswith("application/problem+json"), r.text
                assert r.json()["status"] == 412
        (won,) = [title for title, r in zip(titles, responses, strict=True) if r.status_code == 200]
        for lane in lanes:  # every process shows the winner's revision, one version on
            now = _ok(await lane.get(path, headers=cast.coordinator))
            assert (now["title"], now["version"]) == (won, version + 1)


async def claims(lanes: list[httpx.AsyncClient], cast: Cast) -> list[httpx.Response]:
    slot = {"plan_id": cast.plan["id"], "slot_id": cast.slot["id"]}
    body = {"offer_id": cast.capped["id"], "quantity": 1, **slot}
    return await asyncio.gather(*(
        lanes[i % len(lanes)].post("/api/v1/commitments", json=body, headers=cast.liaison)
        for i in range(CLAIMS * len(lanes))
    ))  # fmt: skip


async def unconditional_revisions(lanes: list[httpx.AsyncClient], cast: Cast) -> list[httpx.Response]:
    path = f"/api/v1/offers/{cast.raced['id']}"
    return await asyncio.gather(*(
        lanes[i % len(lanes)].patch(path, json={"tags": [f"标签{i}"]}, headers=cast.liaison)
        for i in range(PATCHES * len(lanes))
    ))  # fmt: skip


async def submissions(lanes: list[httpx.AsyncClient], cast: Cast) -> list[httpx.Response]:
    offers = [
        lanes[i % len(lanes)].post(
            f"/api/v1/units/{cast.own}/offers", json=offer_body(title=f"新服务{i}"), headers=cast.liaison
        )
        for i in range(SUBMITS * len(lanes))
    ]
    needs = [
        lanes[i % len(lanes)].post(
            f"/api/v1/units/{cast.other}/needs", json=need_body(title=f"需求{i}"), headers=cast.coordinator
        )
        for i in range(SUBMITS // 2 * len(lanes))
    ]
    return await asyncio.gather(*offers, *needs)


async def concurrent_writes(lanes: list[httpx.AsyncClient], cast: Cast) -> None:
    """Every kind of write through every process at once."""
    await if_match_races(lanes, cast)
    raced_version = cast.raced["version"] + ROUNDS
    claimed, revised, submitted = await asyncio.gather(
        claims(lanes, cast), unconditional_revisions(lanes, cast), submissions(lanes, cast)
    )
    # Capacity is never over-committed: five claims win, the rest are told 409 why not.
    statuses = Counter(r.status_code for r in claimed)
    assert statuses == {201: CAPACITY, 409: len(claimed) - CAPACITY}, statuses
    # No lost update: every revision that was answered 200 was applied on top of the one before
    # (distinct consecutive versions); one that kept losing the race is told 409, never dropped.
    done = [r for r in revised if r.status_code == 200]
    assert {r.status_code for r in revised} <= {200, 409} and done, Counter(r.status_code for r in revised)
    versions = sorted(r.json()["version"] for r in done)
    assert versions == list(range(raced_version + 1, raced_version + len(done) + 1)), versions
    cast.raced["version"] = versions[-1]
    assert all(r.status_code == 201 for r in submitted), [r.text for r in submitted if r.status_code != 201]
    ok = [r for r in [*claimed, *revised, *submitted] if r.is_success]
    positions = [int(r.headers["x-log-position"]) for r in ok]
    assert len(set(positions)) == len(positions), "two writes reported the same log position"


# -- what must hold afterwards -----------------------------------------------------------------


async def one_log(dsn: str) -> int:
    """One log: positions 1..N without a gap, and the hash chain verifies. Returns N."""
    store = await EventStore.connect(dsn, min_size=1, max_size=2)
    try:
        positions = [r["position"] for r in await store.pool.fetch("SELECT position FROM events ORDER BY 1")]
        assert positions == list(range(1, len(positions) + 1)), "the log has a gap"
        report = await store.verify()
        assert report.ok, report
        assert report.checked == report.head_position == len(positions)
        return len(positions)
    finally:
        await store.close()


def reads(cast: Cast) -> list[str]:
    return [
        f"/api/v1/offers/{cast.capped['id']}", f"/api/v1/offers/{cast.raced['id']}",
        f"/api/v1/plans/{cast.plan['id']}", "/api/v1/offers?limit=500", "/api/v1/needs?limit=500",
        f"/api/v1/commitments?offer_id={cast.capped['id']}&limit=500", "/api/v1/units?limit=500",
        f"/api/v1/audit/streams/offer-{cast.raced['id']}", "/api/v1/audit/verify",
    ]  # fmt: skip


async def same_answers(bases: list[str], cast: Cast, times: int) -> dict[str, Any]:
    """Each read through every process (`times` times, each on a new connection so that workers
    sharing a port all get some): the answers are all the same. Returns them by path."""
    answers: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=10, headers={**cast.coordinator, "Connection": "close"}) as client:
        for path in reads(cast):
            seen = {
                (r.headers.get("etag"), r.text)
                for r in [await client.get(base + path) for base in bases for _ in range(times)]
            }
            assert len(seen) == 1, f"{path}: the processes disagree: {seen}"
            answers[path] = json.loads(next(iter(seen))[1])
    return answers


def check_outcome(answers: dict[str, Any], cast: Cast) -> None:
    capped = answers[f"/api/v1/offers/{cast.capped['id']}"]
    assert capped["remaining"] == 0
    plan = answers[f"/api/v1/plans/{cast.plan['id']}"]
    assert plan["slots"][0]["committed"] == CAPACITY
    listed = answers[f"/api/v1/commitments?offer_id={cast.capped['id']}&limit=500"]["items"]
    assert len(listed) == CAPACITY
    raced = answers[f"/api/v1/offers/{cast.raced['id']}"]
    assert raced["version"] == cast.raced["version"]
    # The stream holds each accepted revision once: nothing lost, nothing doubled.
    stream = answers[f"/api/v1/audit/streams/offer-{cast.raced['id']}"]
    assert [e["version"] for e in stream["events"]] == list(range(1, raced["version"] + 1))


# -- takeover ----------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def typed_store(dsn: str) -> AsyncIterator[EventStore]:
    store = await EventStore.connect(dsn, codec=registry_codec(), min_size=1, max_size=2)
    try:
        yield store
    finally:
        await store.close()


async def written_behind_the_api(dsn: str) -> uuid.UUID:
    """A unit appended straight to the log: no process's write path projects it, so only the
    leader's runner can bring it into the read model."""
    unit_id = uuid.uuid4()
    event = UnitRegistered(unit_id=unit_id, name="后写入的单位", kind=UnitKind.ENTERPRISE, area="虹口区")
    async with typed_store(dsn) as store:
        await store.append(stream_id("unit", unit_id), [NewEvent(type=tag_of(event), data=event)], NO_STREAM)
    return unit_id


async def read_model_follows(base: str, cast: Cast, dsn: str) -> None:
    unit_id = await written_behind_the_api(dsn)
    deadline = time.monotonic() + 20
    async with httpx.AsyncClient(base_url=base, timeout=5, headers={"Connection": "close"}) as client:
        while True:
            with contextlib.suppress(httpx.TransportError):
                ready = await client.get("/ready")
                shown = await client.get(f"/api/v1/units/{unit_id}", headers=cast.coordinator)
                if ready.status_code == 200 and shown.status_code == 200:
                    break
            assert time.monotonic() < deadline, "the read model stopped following the log"
            await asyncio.sleep(0.1)
        # And the API still writes through the survivor.
        body = offer_body(title="接管之后")
        made = await client.post(f"/api/v1/units/{cast.own}/offers", json=body, headers=cast.liaison)
        shown = await client.get(f"/api/v1/offers/{_ok(made, 201)['id']}", headers=cast.coordinator)
        assert _ok(shown)["title"] == "接管之后"


# -- the scenarios -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def lanes_to(bases: list[str]) -> AsyncIterator[list[httpx.AsyncClient]]:
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(httpx.AsyncClient(base_url=b, timeout=30)) for b in bases]


async def test_two_serve_processes_share_one_log_and_one_leader_who_can_be_replaced(
    database_dsn: str, tmp_path: Path
) -> None:
    with serving(database_dsn, tmp_path, workers=[1, 1]) as serves:
        bases = [s.base for s in serves]
        by_pid = {s.process.pid: s for s in serves}  # with one worker, uvicorn serves in-process
        async with LeaderWatch(database_dsn) as watch, lanes_to(bases) as lanes:
            cast = await make_cast(lanes[0], database_dsn)
            await concurrent_writes(lanes, cast)
            scrapes = await scrape_each(bases, set(by_pid))
            assert all(s.requests["PATCH"] and s.requests["POST"] for s in scrapes.values()), scrapes
            await one_log(database_dsn)
            check_outcome(await same_answers(bases, cast, times=1), cast)

            leader = await one_leader(bases, set(by_pid))
            holder = await watch.holder()
            by_pid[leader].process.send_signal(signal.SIGKILL)
            by_pid[leader].process.wait(timeout=10)
            survivor = next(s for pid, s in by_pid.items() if pid != leader)
            await read_model_follows(survivor.base, cast, database_dsn)
            assert await one_leader([survivor.base], {survivor.process.pid}) == survivor.process.pid
            assert await watch.holder() != holder
            await read_model_follows(survivor.base, cast, database_dsn)
            await one_log(database_dsn)
        watch.check()


async def test_serve_with_two_workers_shares_one_log_and_one_leader_who_can_be_replaced(
    database_dsn: str, tmp_path: Path
) -> None:
    with serving(database_dsn, tmp_path, workers=[2]) as (serve,):
        supervisor = serve.process.pid
        workers = await settled_workers(supervisor, serve.base)
        async with LeaderWatch(database_dsn) as watch, lanes_to([serve.base, serve.base]) as lanes:
            cast = await make_cast(lanes[0], database_dsn)
            before = await scrape_each([serve.base], workers)
            await concurrent_writes(lanes, cast)
            during = await scrape_each([serve.base], workers)
            for pid in workers:  # the kernel handed connections to both workers
                wrote = (during[pid].requests - before[pid].requests)["PATCH"]
                assert wrote > 0, f"worker {pid} served no writes"
            await one_log(database_dsn)
            before = await scrape_each([serve.base], workers)
            check_outcome(await same_answers([serve.base], cast, times=10), cast)
            after = await scrape_each([serve.base], workers)
            for pid in workers:
                read = (after[pid].requests - before[pid].requests)["GET"]
                assert read > 0, f"worker {pid} served no reads"

            leader = await one_leader([serve.base], workers)
            holder = await watch.holder()
            os.kill(leader, signal.SIGKILL)
            # Whoever takes over (the surviving worker, or the one the supervisor starts in the
            # killed one's place), the read model keeps following the log.
            await read_model_follows(serve.base, cast, database_dsn)
            assert await watch.holder() != holder
            now = await settled_workers(supervisor, serve.base, gone=leader)
            new_leader = await one_leader([serve.base], now)
            survivor = next(iter(workers - {leader}))
            print(
                f"killed leader {leader}; workers now {sorted(now)}; leader {new_leader} "
                f"({'the surviving worker' if new_leader == survivor else 'the respawned worker'})"
            )
            # Again once every worker is up: a respawned worker projects once at startup
            # (open_registry catches up), so only now is it the leader alone that can do it.
            await read_model_follows(serve.base, cast, database_dsn)
            await one_log(database_dsn)
        watch.check()
