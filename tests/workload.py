"""Many concurrent clients writing a mix of everything, and a record of all they were told.

For the fault tests. Each client plays rounds of a unit's work: an offer and its revision, a
need, a plan with a slot, then claims and dispatches (commitments: appends to three streams at
once) and their answers. A failed POST is retried with the same Idempotency-Key, as a careful
client does, until it is answered or the load stops; a failed PATCH (If-Match, no key) ends the
round. Every acknowledged write is noted with where it says it landed, for the test to look for.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from registry.domain.unit_name import name_id
from tests.api_fixtures import need_body, offer_body, plan_body, unit_body

DAY = {"starts_at": "2026-10-17T08:00:00+08:00", "ends_at": "2026-10-17T18:00:00+08:00"}
MORNING = {"starts_at": "2026-10-17T09:00:00+08:00", "ends_at": "2026-10-17T12:00:00+08:00"}
AN_HOUR = {"starts_at": "2026-10-17T10:00:00+08:00", "ends_at": "2026-10-17T11:00:00+08:00"}
# A client waits at most this long before it retries, whatever Retry-After says: the tests are short.
MAX_BACKOFF_SECONDS = 0.3


@dataclass(frozen=True)
class Ack:
    """A write answered with a 2xx: the entity's stream and version, and the write's log position."""

    op: str
    stream: str
    version: int
    position: int
    # Every stream the write appended to; its last event (at `position`) is on one of them.
    streams: frozenset[str]


@dataclass(frozen=True)
class Attempt:
    """One HTTP request: when it started, how long it took, and its status or transport error."""

    op: str
    started: float
    seconds: float
    status: int | None = None
    error: str | None = None
    retry_after: str | None = None
    body: str = ""


@dataclass
class Record:
    attempts: list[Attempt] = field(default_factory=list)
    acks: list[Ack] = field(default_factory=list)

    def statuses(self) -> Counter[int]:
        return Counter(a.status for a in self.attempts if a.status is not None)

    def errors(self) -> Counter[str]:
        return Counter(a.error for a in self.attempts if a.error is not None)

    def acks_after(self, moment: float) -> int:
        return sum(1 for a in self.attempts if a.started > moment and a.status is not None and a.status < 300)


@dataclass(frozen=True)
class Cast:
    """The coordinator's token and a few units, each with its liaison's token."""

    coordinator: str
    units: list[tuple[str, str]]


async def make_cast(base: str, coordinator: str, units: int = 4) -> Cast:
    """Register `units` units and a liaison token for each, through the API."""
    cast = []
    async with httpx.AsyncClient(base_url=base, headers=_bearer(coordinator), timeout=30) as http:
        for n in range(units):
            unit = await http.post("/api/v1/units", json=unit_body(f"共建单位{n}"))
            assert unit.status_code == 201, unit.text
            unit_id = unit.json()["id"]
            token = await http.post(
                "/api/v1/tokens", json={"role": "liaison", "unit_id": unit_id, "label": f"unit {n}"}
            )
            assert token.status_code == 201, token.text
            cast.append((unit_id, token.json()["token"]))
    return Cast(coordinator, cast)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Abandon(Exception):
    """The round cannot go on (the load stopped, or an answer that is not a success)."""


class Client:
    """One simulated client, playing round after round until `stop` is set."""

    def __init__(
        self, http: httpx.AsyncClient, cast: Cast, index: int, record: Record, stop: asyncio.Event
    ) -> None:
        self.http = http
        self.cast = cast
        self.index = index
        self.record = record
        self.stop = stop

    async def run(self) -> None:
        round_ = 0
        while not self.stop.is_set():
            round_ += 1
            try:
                await self.play(round_)
            except Abandon:
                await asyncio.sleep(0.05)

    async def play(self, round_: int) -> None:
        units = self.cast.units
        unit_id, liaison = units[self.index % len(units)]
        needing_id, needing_liaison = units[(self.index + 1) % len(units)]
        coordinator = self.cast.coordinator
        mark = f"c{self.index}r{round_}"
        if round_ % 3 == 1:
            body = unit_body(f"单位{mark}")
            # The unit's name is held in its area by a stream of its own, appended with it.
            held = frozenset({f"unitname-{name_id(body['area'], body['name'])}"})
            await self.create("register_unit", "/api/v1/units", coordinator, body, "unit", held)
        offer = await self.create(
            "submit_offer", f"/api/v1/units/{unit_id}/offers", liaison,
            offer_body(category="repair.umbrella", title=f"修伞{mark}", availability=[DAY],
                       capacity={"quantity": 5, "measure": "people"}),
            "offer",
        )  # fmt: skip
        offer_stream = f"offer-{offer['id']}"
        await self.revise_offer(offer, liaison, f"修伞与修鞋{mark}")
        need = await self.create(
            "raise_need", f"/api/v1/units/{needing_id}/needs", needing_liaison,
            need_body(category="repair", title=f"需要修理{mark}", quantity=3, **AN_HOUR), "need",
        )  # fmt: skip
        need_stream = f"need-{need['id']}"
        plan = await self.create("draft_plan", "/api/v1/plans", coordinator, plan_body(**DAY), "plan")
        plan_stream = f"plan-{plan['id']}"
        slot = await self.post(
            "add_slot", f"/api/v1/plans/{plan['id']}/slots", coordinator,
            {"category": "repair", "quantity": 2, **MORNING}, plan_stream, {plan_stream},
        )  # fmt: skip
        await self.post("publish_plan", f"/api/v1/plans/{plan['id']}/publish", coordinator, None,
                        plan_stream, {plan_stream})  # fmt: skip
        to_slot = {"offer_id": offer["id"], "quantity": 1, "plan_id": plan["id"], "slot_id": slot["id"]}
        claim = await self.commit("claim_slot", liaison, to_slot, {offer_stream, plan_stream})
        await self.answer("confirm", claim, coordinator, {offer_stream, plan_stream})
        to_need = {"offer_id": offer["id"], "quantity": 1, "need_id": need["id"]}
        dispatch = await self.commit("dispatch_need", coordinator, to_need, {offer_stream, need_stream})
        await self.answer("confirm", dispatch, liaison, {offer_stream, need_stream})
        claimed = await self.commit("claim_need", liaison, to_need, {offer_stream, need_stream})
        ending = "release" if round_ % 2 else "decline"
        await self.answer(ending, claimed, coordinator, {offer_stream, need_stream})

    async def create(
        self, op: str, path: str, token: str, body: Any, kind: str, touched: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """A POST that makes an entity: its own stream is written (with `touched`, in one append)."""
        response = await self.send(op, "POST", path, token, body, key=str(uuid.uuid4()))
        made: dict[str, Any] = response.json()
        self.note(op, response, f"{kind}-{made['id']}", {f"{kind}-{made['id']}", *touched})
        return made

    async def commit(self, op: str, token: str, body: Any, touched: set[str]) -> str:
        response = await self.send(op, "POST", "/api/v1/commitments", token, body, key=str(uuid.uuid4()))
        commitment_id: str = response.json()["id"]
        stream = f"commitment-{commitment_id}"
        self.note(op, response, stream, {stream, *touched})
        return commitment_id

    async def answer(self, op: str, commitment_id: str, token: str, touched: set[str]) -> None:
        stream = f"commitment-{commitment_id}"
        path = f"/api/v1/commitments/{commitment_id}/{op}"
        await self.post(op, path, token, None, stream, {stream, *touched})

    async def post(
        self, op: str, path: str, token: str, body: Any, stream: str, streams: set[str]
    ) -> dict[str, Any]:
        response = await self.send(op, "POST", path, token, body, key=str(uuid.uuid4()))
        self.note(op, response, stream, streams)
        answered: dict[str, Any] = response.json()
        return answered

    async def revise_offer(self, offer: dict[str, Any], token: str, title: str) -> None:
        stream = f"offer-{offer['id']}"
        response = await self.send(
            "revise_offer", "PATCH", f"/api/v1/offers/{offer['id']}", token, {"title": title},
            headers={"If-Match": f'"{offer["version"]}"'},
        )  # fmt: skip
        self.note("revise_offer", response, stream, {stream})

    def note(self, op: str, response: httpx.Response, stream: str, streams: set[str]) -> None:
        version = int(response.headers["etag"].strip('"'))
        position = int(response.headers["x-log-position"])
        self.record.acks.append(Ack(op, stream, version, position, frozenset(streams)))

    async def send(
        self, op: str, method: str, path: str, token: str, body: Any, *, key: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:  # fmt: skip
        """The request, retried with the same key on a transport error or a 503 while the load runs.

        Without a key (a PATCH) a retry could apply the change twice: the round is abandoned.
        """
        sent = {**_bearer(token), **(headers or {}), **({"Idempotency-Key": key} if key else {})}
        while True:
            started = time.monotonic()
            try:
                response = await self.http.request(method, path, json=body, headers=sent)
            except httpx.TransportError as error:
                self.record.attempts.append(
                    Attempt(op, started, time.monotonic() - started, error=type(error).__name__)
                )
                backoff = MAX_BACKOFF_SECONDS
            else:
                self.record.attempts.append(
                    Attempt(
                        op, started, time.monotonic() - started, response.status_code,
                        retry_after=response.headers.get("retry-after"),
                        body=response.text if response.status_code >= 300 else "",
                    )
                )  # fmt: skip
                if response.status_code < 300:
                    return response
                if response.status_code != 503:
                    raise Abandon(f"{op}: {response.status_code} {response.text}")
                backoff = min(float(response.headers.get("retry-after", "1")), MAX_BACKOFF_SECONDS)
            if key is None or self.stop.is_set():
                raise Abandon(op)
            await asyncio.sleep(backoff)


async def drive(base: str, cast: Cast, clients: int, record: Record, stop: asyncio.Event,
                request_timeout: float) -> None:  # fmt: skip
    """Run `clients` clients until `stop` is set and every one has finished its last request."""
    # Idle connections are dropped well before uvicorn's keep-alive timeout (5 s) closes them, so
    # a request never races the server's close: a transport error here always means a fault.
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=1.0)
    async with httpx.AsyncClient(base_url=base, timeout=request_timeout, limits=limits) as http:
        await asyncio.gather(*(Client(http, cast, i, record, stop).run() for i in range(clients)))


async def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.05) -> None:
    """Poll `condition()` (sync or async) until true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)
