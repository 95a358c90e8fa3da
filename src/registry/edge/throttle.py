"""Slowing down token guessing without ever refusing a valid credential.

Failed authentications are counted per client address. Once `limit` of them fall within
`window` seconds, the address is over its cap until the oldest leaves the window, and then:

- a token this process has seen authenticate before (its hash is vouched for) is checked at
  once, as from any address: an office behind one NAT is never locked out by a guesser sharing
  its address;
- any other token is checked slowly: one at a time for that address, each after `slow_seconds`,
  with at most `slow_queue` waiting (more get 429 at once). A guesser gets one guess a second at
  most, a colleague's new token still gets in;
- a token that fails gets 429 with Retry-After, not 401.

Successes never clear the count, or one valid token would let its holder guess on between them.

The counts live in this process's memory: each server process (uvicorn worker) counts on its
own, so a client spread over N workers gets up to N times the limit, and a restart forgets.
That is enough to make guessing slow (a token has 256 bits); it is not a global quota. Memory is
bounded: at most `capacity` addresses are remembered, the one that failed least recently is
forgotten first.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import math
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from litestar.exceptions import TooManyRequestsException

CAPACITY = 10_000
SLOW_SECONDS = 1.0
SLOW_QUEUE = 3


def client_key(scope: Any) -> str:
    """Who is asking: the peer's address as the ASGI server reports it.

    X-Forwarded-For is not read here: anyone can send it. Behind a reverse proxy, the server
    (uvicorn --forwarded-allow-ips) puts the client's address in the scope, and only then. An
    IPv6 client counts by its /64, the block one subscriber is usually given.
    """
    client = scope.get("client")
    return _key_of_host(str(client[0]) if client else "unknown")


# Parsing an address costs ~3 % of a GET by id: a client asks many times from one address.
@functools.lru_cache(maxsize=CAPACITY)
def _key_of_host(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class AuthThrottle:
    """Failed authentications per client in a sliding window, for at most `capacity` clients."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        capacity: int = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
        slow_seconds: float = SLOW_SECONDS,
        slow_queue: int = SLOW_QUEUE,
    ) -> None:
        if limit < 1 or window <= 0 or capacity < 1:
            raise ValueError("a throttle needs a positive limit, window and capacity")
        self.limit = limit
        self.window = window
        self.capacity = capacity
        self.clock = clock
        self.slow_seconds = slow_seconds
        self.slow_queue = slow_queue
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._vouched: OrderedDict[str, None] = OrderedDict()
        self._slow: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    def vouch(self, secret_hash: str) -> None:
        """A token authenticated: from now on it is checked at once, from any address."""
        self._vouched[secret_hash] = None
        self._vouched.move_to_end(secret_hash)
        while len(self._vouched) > self.capacity:
            self._vouched.popitem(last=False)

    def vouched(self, secret_hash: str) -> bool:
        return secret_hash in self._vouched

    @contextlib.asynccontextmanager
    async def slowly(self, client: str) -> AsyncIterator[None]:
        """One check at a time for an address over its cap, each after `slow_seconds`."""
        lock, waiting = self._slow.setdefault(client, (asyncio.Lock(), [0]))
        if waiting[0] >= self.slow_queue:
            self.check(client)  # over its cap: 429 with the time to wait
        waiting[0] += 1
        try:
            async with lock:
                await asyncio.sleep(self.slow_seconds)
                yield
        finally:
            waiting[0] -= 1
            if waiting[0] == 0:
                del self._slow[client]

    def __len__(self) -> int:
        return len(self._failures)

    def check(self, client: str) -> None:
        """Raise TooManyRequestsException (with Retry-After) if `client` failed too often lately."""
        wait = self.retry_after(client)
        if wait is not None:
            raise TooManyRequestsException(
                detail=f"too many failed authentications from this address; retry after {wait} s",
                headers={"Retry-After": str(wait)},
            )

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until `client` may try again; None if it may now."""
        failures = self._failures.get(client)
        if failures is None:
            return None
        now = self.clock()
        self._expire(failures, now)
        if not failures:
            del self._failures[client]
            return None
        if len(failures) < self.limit:
            return None
        return max(1, math.ceil(failures[0] + self.window - now))

    def failed(self, client: str) -> None:
        """Count one failed authentication of `client`."""
        now = self.clock()
        failures = self._failures.get(client)
        if failures is None:
            # Only the last `limit` failures matter: the oldest of them says when to allow again.
            failures = self._failures[client] = deque(maxlen=self.limit)
        self._expire(failures, now)
        failures.append(now)
        self._failures.move_to_end(client)
        while len(self._failures) > self.capacity:
            self._failures.popitem(last=False)

    def _expire(self, failures: deque[float], now: float) -> None:
        while failures and failures[0] <= now - self.window:
            failures.popleft()
