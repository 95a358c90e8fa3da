"""Benchmark: reading offers over HTTP with 1,000 units and 100,000 offers loaded.

`wrk` drives, in one run against one PostgreSQL: the filtered offer list
(`category` + `available_from`/`available_to`), a single offer by id (ids rotated by a Lua
script), a bare Litestar endpoint doing one asyncpg `fetchrow` of the same offer document (the
baseline the targets are set against, bench/fetchrow_app.py) and a bare Litestar endpoint
returning a constant JSON body, each app under uvicorn with one worker on loopback. Prints req/s,
p50, p99, the ratios to both bare endpoints and the load average before and after.

    uv run python -m bench.api_offers             # full: 1,000 units, 100,000 offers
    uv run python -m bench.api_offers --quick     # smoke run with 100 units, 5,000 offers
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import quote
from urllib.request import Request, urlopen

from bench.common import DATA_DIR, Server
from events import NO_STREAM, NewEvent, StreamAppend
from registry.app import open_registry
from registry.database import embedded_dsn
from registry.domain.events import OfferSubmitted, UnitRegistered, tag_of
from registry.domain.taxonomy import CATEGORIES
from registry.domain.values import LOCAL_ZONE, Capacity, Measure, OneOffWindow, Role, UnitKind, WeeklyWindow
from registry.service import commands
from registry.service.context import Actor, Command
from registry.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "api_offers.json"
CHUNK = 1000
LEAVES = [code for code in CATEGORIES if not any(other.startswith(code + ".") for other in CATEGORIES)]
AREAS = [[], ["虹口区"], ["虹口区/欧阳路街道"], ["虹口区/欧阳路街道/虹仪居民区"], ["杨浦区"]]
FIRST_DAY = date(2026, 12, 1)
LAST_DAY = date(2027, 2, 28)
# The asked window: Saturday 2026-12-12, 10:00-11:00 in Shanghai.
QUERY = (
    "/api/v1/offers?category=repair"
    f"&available_from={quote('2026-12-12T10:00:00+08:00')}&available_to={quote('2026-12-12T11:00:00+08:00')}"
)


def _offer(rng: random.Random, unit_id: uuid.UUID) -> OfferSubmitted:
    if rng.random() < 0.5:
        day = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
        start = datetime.combine(day, clock(rng.choice([9, 13])), LOCAL_ZONE)
        windows: list[OneOffWindow | WeeklyWindow] = [
            OneOffWindow(
                starts_at=start.astimezone(UTC), ends_at=(start + timedelta(hours=3)).astimezone(UTC)
            )
        ]
    else:
        windows = [
            WeeklyWindow(
                weekdays=sorted(rng.sample(range(1, 8), rng.randint(1, 3))),
                start_time=clock(rng.choice([9, 13])), end_time=clock(17),
                from_date=FIRST_DAY, to_date=LAST_DAY,
            )
        ]  # fmt: skip
    category = rng.choice(LEAVES)
    return OfferSubmitted(
        offer_id=uuid.UUID(int=rng.getrandbits(128), version=4), unit_id=unit_id, category=category,
        title=f"{CATEGORIES[category].label_zh} {rng.randrange(1000)}", description="服务说明",
        capacity=Capacity(quantity=rng.randint(1, 50), measure=rng.choice(list(Measure))),
        availability=windows, service_area=rng.choice(AREAS), tags=["便民"],
    )  # fmt: skip


def _units(rng: random.Random, count: int) -> list[UnitRegistered]:
    kinds = list(UnitKind)
    return [
        UnitRegistered(
            unit_id=uuid.UUID(int=rng.getrandbits(128), version=4),
            name=f"共建单位{i:04d}",
            kind=rng.choice(kinds),
            area="虹口区/欧阳路街道",
        )
        for i in range(count)
    ]


def _chunks(items: list[StreamAppend], size: int) -> Iterator[list[StreamAppend]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def load(dsn: str, units: int, offers: int) -> tuple[list[str], str, float, float]:
    """Append the units and offers, project them; returns offer ids, a token, and timings."""
    rng = random.Random(20261124)  # reproducible data, not security
    registry = await open_registry(Settings(database_url=dsn))
    try:
        started = time.perf_counter()
        registered = _units(rng, units)
        submitted = [_offer(rng, rng.choice(registered).unit_id) for _ in range(offers)]
        appends = [
            StreamAppend(f"unit-{e.unit_id}", [NewEvent(type=tag_of(e), data=e)], NO_STREAM)
            for e in registered
        ] + [
            StreamAppend(f"offer-{e.offer_id}", [NewEvent(type=tag_of(e), data=e)], NO_STREAM)
            for e in submitted
        ]
        for chunk in _chunks(appends, CHUNK):
            await registry.store.append_many(chunk)
        appended = time.perf_counter() - started
        started = time.perf_counter()
        await registry.runner.catch_up()
        projected = time.perf_counter() - started
        cli = Command(actor=Actor(subject="cli:bench", role=Role.COORDINATOR))
        _, token = await commands.issue_token(registry, cli, Role.COORDINATOR, None, "bench")
        # As autovacuum would in a while: statistics, and the visibility map index-only scans need.
        for table in ("offers", "offer_windows"):
            await registry.store.pool.execute(f"VACUUM ANALYZE registry_read.{table}")
        return [str(e.offer_id) for e in submitted], token, appended, projected
    finally:
        await registry.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """An ASGI app under uvicorn (one worker, uvloop, httptools) on loopback."""

    def __init__(self, target: str, env: dict[str, str], factory: bool = False) -> None:
        self.port = _free_port()
        args = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(self.port),
                "--workers", "1", "--loop", "uvloop", "--http", "httptools", "--log-level", "warning",
                "--no-access-log"]  # fmt: skip
        if factory:
            args.append("--factory")
        self.process = subprocess.Popen(args, env={**os.environ, **env}, cwd=ROOT)
        self.base = f"http://127.0.0.1:{self.port}"

    def wait(self, path: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urlopen(self.base + path, timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.base} did not answer")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


@dataclass
class Measurement:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert match is not None, text
    return float(match[1]) * _UNITS[match[2]]


def wrk(
    name: str, url: str, seconds: int, connections: int, token: str | None, script: Path | None
) -> Measurement:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    if script:
        args += ["-s", str(script)]
    output = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output)[1])  # type: ignore[index]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return Measurement(name, rate, p50, p99, int(bad[1]) if bad else 0)


def median_run(runs: list[Measurement]) -> Measurement:
    """The run of median throughput (the lower middle one of an even count)."""
    return sorted(runs, key=lambda m: m.requests_per_second)[(len(runs) - 1) // 2]


def page_size(url: str, token: str) -> int:
    with urlopen(Request(url, headers={"Authorization": f"Bearer {token}"}), timeout=10) as response:
        return len(json.load(response)["items"])


def _id_script(ids: list[str], directory: Path) -> Path:
    """A wrk script that asks for a different offer on every request."""
    listing = directory / "ids.lua"
    sample = ids[:: max(len(ids) // 5000, 1)]
    listing.write_text(
        "ids = {" + ",".join(f'"{i}"' for i in sample) + "}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        '  return wrk.format("GET", "/api/v1/offers/" .. ids[(counter % #ids) + 1])\n'
        "end\n",
        encoding="utf-8",
    )
    return listing


async def run(options: argparse.Namespace) -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    url = os.environ.get("DATABASE_URL")
    server = Server(url or embedded_dsn(DATA_DIR))
    await server.drop_leftovers()
    load_before = load_average()
    print(f"load average before: {load_before}", flush=True)
    async with server.database("api", migrated=True) as dsn:
        print(f"loading {options.units:,} units and {options.offers:,} offers …", flush=True)
        ids, token, appended, projected = await load(dsn, options.units, options.offers)
        print(f"appended in {appended:.1f} s, projected in {projected:.1f} s", flush=True)
        registry = Served("registry.app:app_from_env", {"DATABASE_URL": dsn}, factory=True)
        bare = Served("bench.bare_app:app", {})
        fetchrow = Served("bench.fetchrow_app:app", {"DATABASE_URL": dsn})
        try:
            registry.wait("/health")
            bare.wait("/bare")
            fetchrow.wait(f"/api/v1/offers/{ids[0]}")
            print(f"the filtered list returns {page_size(registry.base + QUERY, token)} offers per page")
            with tempfile.TemporaryDirectory() as scratch:
                script = _id_script(ids, Path(scratch))
                seconds, connections = options.seconds, options.connections
                scenarios = [
                    ("bare Litestar endpoint", bare.base + "/bare", None, None),
                    ("bare Litestar + fetchrow", fetchrow.base, None, script),
                    ("GET /api/v1/offers (filtered)", registry.base + QUERY, token, None),
                    ("GET /api/v1/offers/{id}", registry.base, token, script),
                ]
                # In turns, `rounds` times: on a shared machine a busy spell then touches every
                # scenario rather than one; each scenario's median round is reported.
                runs: dict[str, list[Measurement]] = {name: [] for name, *_ in scenarios}
                for _ in range(options.rounds):
                    for name, url, bearer, lua in scenarios:
                        runs[name].append(wrk(name, url, seconds, connections, bearer, lua))
                results = [median_run(runs[name]) for name, *_ in scenarios]
        finally:
            registry.stop()
            bare.stop()
            fetchrow.stop()
    report(results, options, load_before)
    return 0


# Targets, against the bare fetchrow endpoint.
TARGET_SINGLE = 0.7
TARGET_LIST = 0.5
TARGET_LIST_P99_MS = 50.0


def load_average() -> str:
    """The 1, 5 and 15 minute load averages: anything else busy on the machine shows here."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(results: list[Measurement], options: argparse.Namespace, load_before: str) -> None:
    bare, fetchrow = results[0].requests_per_second, results[1].requests_per_second
    print(
        f"\n{'scenario':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'vs fetchrow':>13}{'vs bare':>10}"
        f"{'non-2xx':>9}"
    )
    for m in results:
        print(
            f"{m.name:<34}{m.requests_per_second:>10,.0f}{m.p50_ms:>10.2f}{m.p99_ms:>10.2f}"
            f"{m.requests_per_second / fetchrow:>12.2f}x{m.requests_per_second / bare:>9.2f}x{m.non_2xx:>9}"
        )
    listing, single = results[2], results[3]
    targets = [
        (f"single offer >= {TARGET_SINGLE}x fetchrow", f"{single.requests_per_second / fetchrow:.2f}x",
         single.requests_per_second >= TARGET_SINGLE * fetchrow),
        (f"filtered list >= {TARGET_LIST}x fetchrow", f"{listing.requests_per_second / fetchrow:.2f}x",
         listing.requests_per_second >= TARGET_LIST * fetchrow),
        (f"filtered list p99 < {TARGET_LIST_P99_MS:.0f} ms", f"{listing.p99_ms:.1f} ms",
         listing.p99_ms < TARGET_LIST_P99_MS),
    ]  # fmt: skip
    print("\ntargets:")
    for name, measured, met in targets:
        print(f"  {name:<34}{measured:>10}  {'met' if met else 'NOT met'}")
    load_after = load_average()
    print(f"\nload average before: {load_before}; after: {load_after}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"when": datetime.now(UTC).isoformat(timespec="seconds"), "options": vars(options),
             "cores": os.cpu_count(), "load_average": {"before": load_before, "after": load_after},
             "results": [asdict(m) for m in results],
             "targets": [{"name": n, "measured": v, "met": met} for n, v, met in targets]},
            indent=2,
        )
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--units", type=int, default=1_000)
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per scenario and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of all scenarios, in turns")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--quick", action="store_true", help="100 units, 5,000 offers, one round of 5 s per scenario"
    )
    options = parser.parse_args(argv)
    if options.quick:
        options.units, options.offers, options.seconds, options.rounds = 100, 5_000, 5, 1
    return asyncio.run(run(options))


if __name__ == "__main__":
    sys.exit(main())
