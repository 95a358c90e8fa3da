"""Load: many concurrent clients, a mix of reads and writes, against one running registry.

Each client loops until time is up, picking its next request by weight: about 70 % reads (the
offer list with filters, one offer, need or plan, a plan's matches, a page of the audit log)
and 30 % writes (submit an offer, revise one with If-Match, raise a need, claim capacity and
release a claim). A 409 or 412 is an answer (two clients wanted the same thing); a 5xx or a
request that got no answer is a failure. Prints p50/p99 latency per kind of request and the
status counts; given the server's pid, samples its resident memory (VmRSS) once a second.

    uv run python -m bench.load                            # 200 clients, 60 s, own database and server
    uv run python -m bench.load --clients 50 --seconds 10
    uv run python -m bench.load --url http://127.0.0.1:8000 --token SECRET [--server-pid PID]
    uv run python -m bench.load --baseline 7247900         # that commit first (a git worktree,
                                                           # same PostgreSQL), then this one

With --baseline, the earlier commit's own bench.load runs first against its own server, then
this tree's, one after the other with the same clients, seconds and PostgreSQL; the report adds
both side by side, the ratios and the targets of issue 12.

One Python process drives every client, so on a small machine latencies include the client's own
queueing; the report shows both processes' CPU use to tell whether the client was the bottleneck,
and the whole machine's: the load is closed-loop, so throughput and latency trade by Little's law,
and once every core is busy the CPU a request costs (client, server and PostgreSQL together)
bounds the throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import uvloop

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "load.json"
DAY = {"starts_at": "2026-10-17T08:00:00+08:00", "ends_at": "2026-10-17T18:00:00+08:00"}
MORNING = {"starts_at": "2026-10-17T09:00:00+08:00", "ends_at": "2026-10-17T12:00:00+08:00"}
WINDOW = {"available_from": "2026-10-17T10:00:00+08:00", "available_to": "2026-10-17T11:00:00+08:00"}
CATEGORIES = ["repair.umbrella", "repair.clock", "repair.shoe", "medical.consultation", "legal.consultation"]
AREAS = ["虹口区", "虹口区/欧阳路街道", "虹口区/欧阳路街道/虹仪居民区"]
UNITS = 10
OFFERS_PER_UNIT = 4
PLANS = 10
# A request unanswered this long counts as a failure (a hang), not as slow: latency on a small
# shared machine is reported, never judged.
REQUEST_TIMEOUT = 120.0
ERROR = 0  # the status recorded for a request that got no HTTP answer


# -- the cast: units, tokens, offers, needs and a plan, made through the API -------------------


@dataclass
class Cast:
    coordinator: dict[str, str]
    units: list[str]
    liaisons: list[dict[str, str]]  # by unit index
    offers: list[tuple[str, int]]  # (offer id, unit index); grows as clients submit
    needs: list[str]
    slots: list[tuple[str, str]]  # (plan id, slot id) of published plans
    versions: dict[str, int] = field(default_factory=dict)  # an offer's last version seen
    claims: list[tuple[str, int]] = field(default_factory=list)  # open claims, to release
    head: int = 1  # the highest log position a write reported


def _offer(rng: random.Random, **overrides: Any) -> dict[str, Any]:
    body = {
        "category": rng.choice(CATEGORIES), "title": f"便民服务{rng.randrange(10_000)}",
        "capacity": {"quantity": rng.randint(5, 30), "measure": "people"}, "availability": [DAY],
        "service_area": [rng.choice(AREAS)], "tags": ["便民"],
    }  # fmt: skip
    return body | overrides


def _need(rng: random.Random) -> dict[str, Any]:
    return {
        "category": "repair",
        "title": f"居民需求{rng.randrange(10_000)}",
        "quantity": rng.randint(1, 5),
    } | MORNING


async def _created(
    client: httpx.AsyncClient, path: str, body: Any, headers: dict[str, str]
) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=headers)
    if response.status_code not in (200, 201):
        raise RuntimeError(f"setting up: POST {path} -> {response.status_code} {response.text}")
    return response.json()  # type: ignore[no-any-return]


async def prepare(base: str, token: str, rng: random.Random) -> Cast:
    """The units, their liaisons' tokens, some offers and needs, and a published plan to claim for."""
    coordinator = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=base, timeout=REQUEST_TIMEOUT) as client:
        units, liaisons = [], []
        for i in range(UNITS):
            unit = {
                "name": f"压测共建单位{i:02d}-{rng.randrange(10**6)}",
                "kind": "enterprise",
                "area": AREAS[1],
            }
            units.append((await _created(client, "/api/v1/units", unit, coordinator))["id"])
            issued = await _created(
                client, "/api/v1/tokens", {"role": "liaison", "unit_id": units[-1]}, coordinator
            )
            liaisons.append({"Authorization": f"Bearer {issued['token']}"})
        offers = []
        for i, unit_id in enumerate(units):
            for n in range(OFFERS_PER_UNIT):
                body = _offer(rng, category="repair.umbrella") if n == 0 else _offer(rng)
                made = await _created(client, f"/api/v1/units/{unit_id}/offers", body, liaisons[i])
                offers.append((made["id"], i))
        needs = [
            (await _created(client, f"/api/v1/units/{unit_id}/needs", _need(rng), coordinator))["id"]
            for unit_id in units
        ]
        slots = [await _plan(client, coordinator, n) for n in range(PLANS)]
    return Cast(coordinator, units, liaisons, offers, needs, slots)


async def _plan(client: httpx.AsyncClient, coordinator: dict[str, str], n: int) -> tuple[str, str]:
    """A published plan with one slot too big to fill: claims are limited by capacity alone.

    Several plans, because every claim appends to its plan's stream: with one plan, all claims
    would race for one stream and mostly measure optimistic-concurrency retries."""
    body = {"title": f"压测活动{n}", "venue": "欧阳路街道社区党群服务中心", "area": AREAS[1], **DAY}
    plan = await _created(client, "/api/v1/plans", body, coordinator)
    slot_body = {"category": "repair", "quantity": 100_000} | MORNING
    slot = await _created(client, f"/api/v1/plans/{plan['id']}/slots", slot_body, coordinator)
    await _created(client, f"/api/v1/plans/{plan['id']}/publish", None, coordinator)
    return plan["id"], slot["id"]


# -- one client --------------------------------------------------------------------------------


@dataclass
class Record:
    """Every request's latency by kind, and statuses by kind."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    errors: Counter[str] = field(default_factory=Counter)  # what the unanswered requests raised


class Client:
    """One simulated user with one keep-alive connection, recording what it is told."""

    def __init__(
        self, base: str, cast: Cast, record: Record, rng: random.Random, tls: ssl.SSLContext
    ) -> None:
        # One pool per client: httpx's shared pool slows down badly with hundreds of connections.
        self.http = httpx.AsyncClient(
            base_url=base, timeout=REQUEST_TIMEOUT, verify=tls, limits=httpx.Limits(max_connections=1)
        )
        self.cast, self.record, self.rng = cast, record, rng

    async def send(self, kind: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
        started = time.perf_counter()
        try:
            response = await self.http.request(method, path, **kw)
        except httpx.HTTPError as error:
            self.record.latencies[kind].append(time.perf_counter() - started)
            self.record.statuses[kind][ERROR] += 1
            self.record.errors[f"{kind}: {type(error).__name__}"] += 1
            return None
        self.record.latencies[kind].append(time.perf_counter() - started)
        self.record.statuses[kind][response.status_code] += 1
        if "x-log-position" in response.headers:
            self.cast.head = max(self.cast.head, int(response.headers["x-log-position"]))
        return response

    # reads

    async def list_offers(self) -> None:
        params: dict[str, Any] = {
            "category": self.rng.choice(["repair", "medical", *CATEGORIES]),
            "limit": 20,
        }
        if self.rng.random() < 0.5:
            params |= WINDOW
        if self.rng.random() < 0.3:
            params["area"] = self.rng.choice(AREAS)
        await self.send("list_offers", "GET", "/api/v1/offers", params=params, headers=self.cast.coordinator)

    async def get_offer(self) -> None:
        offer_id, _ = self.rng.choice(self.cast.offers)
        response = await self.send(
            "get_offer", "GET", f"/api/v1/offers/{offer_id}", headers=self.cast.coordinator
        )
        if response is not None and response.status_code == 200:
            self.cast.versions[offer_id] = response.json()["version"]

    async def get_need(self) -> None:
        path = f"/api/v1/needs/{self.rng.choice(self.cast.needs)}"
        await self.send("get_need", "GET", path, headers=self.cast.coordinator)

    async def get_plan(self) -> None:
        plan, _ = self.rng.choice(self.cast.slots)
        await self.send("get_plan", "GET", f"/api/v1/plans/{plan}", headers=self.cast.coordinator)

    async def list_needs(self) -> None:
        params = {"status": "open", "limit": 20}
        await self.send("list_needs", "GET", "/api/v1/needs", params=params, headers=self.cast.coordinator)

    async def plan_matches(self) -> None:
        plan, _ = self.rng.choice(self.cast.slots)
        path = f"/api/v1/plans/{plan}/matches"
        await self.send("plan_matches", "GET", path, headers=self.cast.coordinator)

    async def audit_events(self) -> None:
        params = {"after": self.rng.randrange(self.cast.head), "limit": 50}
        await self.send(
            "audit_events", "GET", "/api/v1/audit/events", params=params, headers=self.cast.coordinator
        )

    # writes

    async def submit_offer(self) -> None:
        unit = self.rng.randrange(len(self.cast.units))
        path = f"/api/v1/units/{self.cast.units[unit]}/offers"
        response = await self.send(
            "submit_offer", "POST", path, json=_offer(self.rng), headers=self.cast.liaisons[unit]
        )
        if response is not None and response.status_code == 201:
            self.cast.offers.append((response.json()["id"], unit))

    async def revise_offer(self) -> None:
        """PATCH with the version last seen; on 412 (someone was first) look again, as a user would."""
        offer_id, unit = self.rng.choice(self.cast.offers)
        headers = {**self.cast.liaisons[unit], "If-Match": f'"{self.cast.versions.get(offer_id, 1)}"'}
        body = {
            "title": f"修订{self.rng.randrange(10_000)}",
            "tags": ["便民", f"第{self.rng.randrange(9)}版"],
        }
        response = await self.send(
            "revise_offer", "PATCH", f"/api/v1/offers/{offer_id}", json=body, headers=headers
        )
        if response is None:
            return
        if response.status_code == 200:
            self.cast.versions[offer_id] = response.json()["version"]
        elif response.status_code == 412:
            await self.get_offer_by_id(offer_id)

    async def get_offer_by_id(self, offer_id: str) -> None:
        response = await self.send(
            "get_offer", "GET", f"/api/v1/offers/{offer_id}", headers=self.cast.coordinator
        )
        if response is not None and response.status_code == 200:
            self.cast.versions[offer_id] = response.json()["version"]

    async def raise_need(self) -> None:
        unit = self.rng.randrange(len(self.cast.units))
        path = f"/api/v1/units/{self.cast.units[unit]}/needs"
        response = await self.send(
            "raise_need", "POST", path, json=_need(self.rng), headers=self.cast.coordinator
        )
        if response is not None and response.status_code == 201:
            self.cast.needs.append(response.json()["id"])

    async def claim(self) -> None:
        # The first offers of each unit are umbrella repairs that fit the plan's slot.
        unit = self.rng.randrange(len(self.cast.units))
        offer_id = self.cast.offers[unit * OFFERS_PER_UNIT][0]
        plan, slot = self.rng.choice(self.cast.slots)
        body = {"offer_id": offer_id, "quantity": 1, "plan_id": plan, "slot_id": slot}
        response = await self.send(
            "claim", "POST", "/api/v1/commitments", json=body, headers=self.cast.liaisons[unit]
        )
        if response is not None and response.status_code == 201:
            self.cast.claims.append((response.json()["id"], unit))

    async def release(self) -> None:
        if not self.cast.claims:
            await self.claim()
            return
        commitment_id, unit = self.cast.claims.pop(self.rng.randrange(len(self.cast.claims)))
        path = f"/api/v1/commitments/{commitment_id}/release"
        await self.send(
            "release", "POST", path, json={"reason": "人手调整"}, headers=self.cast.liaisons[unit]
        )

    async def run(self, until: float) -> None:
        ops, weights = zip(*self.mix(), strict=True)
        try:
            while time.monotonic() < until:
                await self.rng.choices(ops, weights)[0]()
        finally:
            await self.http.aclose()

    def mix(self) -> list[tuple[Any, int]]:
        """About 70 % reads and 30 % writes."""
        return [
            (self.list_offers, 22), (self.get_offer, 16), (self.get_need, 6), (self.get_plan, 6),
            (self.plan_matches, 8), (self.audit_events, 6), (self.list_needs, 6),
            (self.submit_offer, 8), (self.revise_offer, 8), (self.raise_need, 5), (self.claim, 6),
            (self.release, 3),
        ]  # fmt: skip


# -- measuring the server from outside -----------------------------------------------------------


class ProcessSampler:
    """The server's resident memory (VmRSS, KiB) once a second, and its CPU time, from /proc."""

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid, self.interval = pid, interval
        self.rss_kib: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="rss-sampler", daemon=True)

    def __enter__(self) -> ProcessSampler:
        self.cpu_start = self.cpu_seconds()
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu = (self.cpu_seconds() - self.cpu_start) / (time.monotonic() - self.started)

    def _sample(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            self.rss_kib.append(rss_kib(self.pid))
            next_at += self.interval
            self._stop.wait(max(next_at - time.monotonic(), 0))

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def machine_cpu_seconds() -> tuple[float, float]:
    """The whole machine's busy and total CPU seconds so far, every core summed (/proc/stat)."""
    user, nice, system, idle, iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    busy = user + nice + system + irq + softirq + steal
    return busy / os.sysconf("SC_CLK_TCK"), (busy + idle + iowait) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def slope(values: list[float]) -> float:
    """Least-squares slope of `values` against their index (per sample)."""
    n = len(values)
    if n < 2:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    return num / sum((x - mean_x) ** 2 for x in range(n))


def rss_trend(samples: list[int]) -> dict[str, float]:
    """How resident memory moved: the quarters' means (KiB) and the last half's slope (KiB/sample)."""
    n = len(samples)
    quarter = max(n // 4, 1)

    def mean(part: list[int]) -> float:
        return sum(part) / len(part) if part else 0.0

    return {
        "first_kib": samples[0] if samples else 0, "last_kib": samples[-1] if samples else 0,
        "third_quarter_mean_kib": mean(samples[2 * quarter : 3 * quarter]),
        "last_quarter_mean_kib": mean(samples[3 * quarter :]),
        "last_half_slope_kib_per_s": slope([float(s) for s in samples[n // 2 :]]),
    }  # fmt: skip


# -- running and reporting -----------------------------------------------------------------------


def _percentile(ordered: list[float], p: float) -> float:
    return ordered[min(int(p * len(ordered)), len(ordered) - 1)] * 1000 if ordered else 0.0


def summarize(record: Record, elapsed: float) -> dict[str, Any]:
    kinds = {}
    for kind in sorted(record.latencies):
        ordered = sorted(record.latencies[kind])
        kinds[kind] = {
            "count": len(ordered), "p50_ms": _percentile(ordered, 0.50), "p99_ms": _percentile(ordered, 0.99),
            "statuses": {str(s): c for s, c in sorted(record.statuses[kind].items())},
        }  # fmt: skip
    everything = sorted(t for times in record.latencies.values() for t in times)
    statuses: Counter[int] = Counter()
    for counted in record.statuses.values():
        statuses.update(counted)
    return {
        "requests": len(everything), "requests_per_second": len(everything) / elapsed,
        "p50_ms": _percentile(everything, 0.50), "p99_ms": _percentile(everything, 0.99),
        "statuses": {str(s): c for s, c in sorted(statuses.items())},
        "failures": sum(c for s, c in statuses.items() if s == ERROR or s >= 500),
        "errors": dict(record.errors), "kinds": kinds,
    }  # fmt: skip


async def drive(
    base: str, token: str, clients: int, seconds: float, server_pid: int | None
) -> dict[str, Any]:
    """Set up a cast, then run `clients` clients for `seconds`; returns the summary."""
    rng = random.Random(20261125)  # reproducible choices, not security
    cast = await prepare(base, token, rng)
    record = Record()
    tls = ssl.create_default_context()  # never used over http://, but httpx would build one per client
    team = [Client(base, cast, record, random.Random(rng.random()), tls) for _ in range(clients)]
    sampler = ProcessSampler(server_pid) if server_pid else None
    cpu_before, started = time.process_time(), time.monotonic()
    machine_before = machine_cpu_seconds()
    with sampler or contextlib.nullcontext():
        await asyncio.gather(*(c.run(started + seconds) for c in team))
    elapsed = time.monotonic() - started
    busy_after, total_after = machine_cpu_seconds()
    busy, total = busy_after - machine_before[0], total_after - machine_before[1]
    summary = summarize(record, elapsed)
    per_request = busy * 1000 / max(summary["requests"], 1)
    ceiling = (os.cpu_count() or 1) * 1000 / per_request if per_request else 0.0
    summary |= {"clients": clients, "seconds": seconds, "elapsed": elapsed, "url": base,
                "client_cpu": (time.process_time() - cpu_before) / elapsed,
                # Every core's busy time over the run (the client, the server, PostgreSQL and
                # whatever else runs): near 1.0, the machine's CPU bounds the throughput, and
                # the cores over the CPU a request costs is the most they can give.
                "machine_busy": busy / total if total else 0.0,
                "machine_cpu_ms_per_request": per_request,
                "machine_ceiling_per_second": ceiling}  # fmt: skip
    if sampler:
        summary |= {"server_cpu": sampler.cpu, "rss_kib": sampler.rss_kib, "rss": rss_trend(sampler.rss_kib)}
    return summary


def report(summary: dict[str, Any]) -> None:
    print(f"\n{'request':<16}{'count':>8}{'p50 ms':>10}{'p99 ms':>10}  statuses")
    for kind, k in summary["kinds"].items():
        statuses = " ".join(f"{s}:{c}" for s, c in k["statuses"].items())
        print(f"{kind:<16}{k['count']:>8}{k['p50_ms']:>10.1f}{k['p99_ms']:>10.1f}  {statuses}")
    print(
        f"{'all':<16}{summary['requests']:>8}{summary['p50_ms']:>10.1f}{summary['p99_ms']:>10.1f}  "
        + " ".join(f"{s}:{c}" for s, c in summary["statuses"].items())
    )
    cpu = f"client CPU {summary['client_cpu']:.0%}"
    if "server_cpu" in summary:
        cpu += f", server CPU {summary['server_cpu']:.0%}"
    print(
        f"\n{summary['clients']} clients, {summary['elapsed']:.0f} s: "
        f"{summary['requests_per_second']:.0f} req/s, {summary['failures']} failures (5xx or no answer); "
        f"{cpu}"
    )
    if "machine_busy" in summary:
        print(
            f"machine CPU {summary['machine_busy']:.0%} busy over {os.cpu_count()} cores: "
            f"{summary['machine_cpu_ms_per_request']:.1f} ms of CPU a request, client, server and "
            f"PostgreSQL together (at most ~{summary['machine_ceiling_per_second']:.0f} req/s at that cost)"
        )
    for error, count in summary["errors"].items():
        print(f"  {count} x {error}")
    if "rss" in summary:
        mib = {name: value / 1024 for name, value in summary["rss"].items()}
        print(
            f"server RSS: {mib['first_kib']:.1f} MiB at the start, {mib['last_kib']:.1f} MiB at the end; "
            f"means of the third and last quarters {mib['third_quarter_mean_kib']:.1f} and "
            f"{mib['last_quarter_mean_kib']:.1f} MiB; last half's slope "
            f"{summary['rss']['last_half_slope_kib_per_s']:.1f} KiB/s"
        )


async def own_server(options: argparse.Namespace) -> dict[str, Any]:
    """A fresh database and one uvicorn process on loopback, like the other HTTP benchmarks."""
    from bench.api_offers import Served
    from bench.common import DATA_DIR, Server
    from registry.app import open_registry
    from registry.database import embedded_dsn
    from registry.domain.values import Role
    from registry.service import commands
    from registry.service.context import Actor, Command
    from registry.settings import Settings

    server = Server(os.environ.get("DATABASE_URL") or embedded_dsn(DATA_DIR))
    await server.drop_leftovers()
    async with server.database("load", migrated=True) as dsn:
        registry = await open_registry(Settings(database_url=dsn, pool_min_size=1, pool_max_size=2))
        try:
            cli = Command(actor=Actor(subject="cli:bench", role=Role.COORDINATOR))
            _, token = await commands.issue_token(registry, cli, Role.COORDINATOR, None, "bench load")
        finally:
            await registry.close()
        served = Served("registry.app:app_from_env", {"DATABASE_URL": dsn}, factory=True)
        try:
            served.wait("/health")
            return await drive(served.base, token, options.clients, options.seconds, served.process.pid)
        finally:
            served.stop()


def run_baseline(options: argparse.Namespace) -> dict[str, Any]:
    """The earlier commit's own bench.load, against the same PostgreSQL; returns its summary."""
    from bench.baseline import earlier_commit, tree_env
    from bench.common import DATA_DIR
    from registry.database import embedded_dsn

    dsn = os.environ.get("DATABASE_URL") or embedded_dsn(DATA_DIR)
    with earlier_commit(options.baseline) as tree:
        out = tree / "baseline-load.json"
        command = ["uv", "run", "python", "-m", "bench.load", "--clients", str(options.clients),
                   "--seconds", str(options.seconds), "--json", str(out)]  # fmt: skip
        print(f"== baseline {options.baseline}: {' '.join(command[3:])}", flush=True)
        subprocess.run(command, cwd=tree, env=tree_env(DATABASE_URL=dsn), check=False)
        found: dict[str, Any] = json.loads(out.read_text())
    print(f"== this tree, {options.clients} clients, {options.seconds:g} s", flush=True)
    return found


# Busier than this, the machine's cores (not a lock or a queue) set the throughput.
MACHINE_BOUND = 0.9
WRITES = ("submit_offer", "revise_offer", "raise_need", "claim", "release")


def compare(baseline: dict[str, Any], ours: dict[str, Any]) -> None:
    """Side by side with the baseline, and issue 12's targets judged on this run."""
    print(f"\n{'request':<16}{'base p50':>10}{'base p99':>10}{'p50 ms':>10}{'p99 ms':>10}{'p99/p50':>9}")
    for kind, k in ours["kinds"].items():
        b = baseline["kinds"].get(kind, {})
        ratio = k["p99_ms"] / k["p50_ms"] if k["p50_ms"] else float("inf")
        print(
            f"{kind:<16}{b.get('p50_ms', 0):>10.1f}{b.get('p99_ms', 0):>10.1f}"
            f"{k['p50_ms']:>10.1f}{k['p99_ms']:>10.1f}{ratio:>8.1f}x"
        )
    throughput = ours["requests_per_second"] / baseline["requests_per_second"]
    writes = [ours["kinds"][k]["p50_ms"] for k in WRITES if k in ours["kinds"]]
    by_id = ours["kinds"]["get_offer"]["p50_ms"]
    tails = {k: v["p99_ms"] / v["p50_ms"] for k, v in ours["kinds"].items() if v["p50_ms"]}
    worst = max(tails, key=lambda k: tails[k])
    fivexx = sum(c for s, c in ours["statuses"].items() if int(s) >= 500)
    rate, base_rate = ours["requests_per_second"], baseline["requests_per_second"]
    print(
        f"\nthroughput {rate:.0f} req/s against {base_rate:.0f}: "
        f"{throughput:.1f}x (target >= 5x)\n"
        f"write p50 {max(writes):.1f} ms (worst kind) against read-by-id p50 {by_id:.1f} ms: "
        f"{max(writes) / by_id:.1f}x (target <= 2x)\n"
        f"p99/p50 worst: {worst} {tails[worst]:.1f}x (target <= 10x for every kind)\n"
        f"5xx: {fivexx} (target 0)"
    )
    if ours.get("machine_busy", 0) >= MACHINE_BOUND:
        print(
            f"the machine's CPU bounds this run ({ours['machine_busy']:.0%} busy): 5x the baseline is "
            f"{5 * base_rate:.0f} req/s, and at {ours['machine_cpu_ms_per_request']:.1f} ms of CPU a "
            f"request these cores give at most ~{ours['machine_ceiling_per_second']:.0f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--url", help="a running registry (default: start one on a fresh database)")
    parser.add_argument("--token", default=os.environ.get("REGISTRY_TOKEN"),
                        help="a coordinator's token for --url (default: $REGISTRY_TOKEN)")  # fmt: skip
    parser.add_argument("--server-pid", type=int, help="the server's pid, to sample its memory and CPU")
    parser.add_argument("--json", type=Path, default=RESULTS, help=f"where to write the numbers ({RESULTS})")
    parser.add_argument("--baseline", metavar="REV", help="measure this commit first, in a git worktree")
    options = parser.parse_args(argv)
    if options.url and not options.token:
        parser.error("--url needs a coordinator's --token (or REGISTRY_TOKEN)")
    if options.url:
        work = drive(
            options.url.rstrip("/"), options.token, options.clients, options.seconds, options.server_pid
        )
    else:
        work = own_server(options)
    baseline = run_baseline(options) if options.baseline else None
    summary = uvloop.run(work)
    report(summary)
    if baseline is not None:
        summary["baseline"] = baseline | {"revision": options.baseline}
        compare(baseline, summary)
    options.json.parent.mkdir(parents=True, exist_ok=True)
    options.json.write_text(json.dumps(
        {"when": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count()} | summary, indent=2
    ))  # fmt: skip
    return 1 if summary["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
