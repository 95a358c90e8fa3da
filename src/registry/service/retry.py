"""When a write lost a race: how long to wait before deciding again, how often to try, what we count.

Within a process commands on one stream take turns (`registry.service.locks`), so an append loses
only to another process. Such races come in bursts (two servers draining requests for the same
plan), and retrying at once mostly meets the same burst: each retry waits a random time up to an
exponentially growing bound ("full jitter"), which spreads the racers out fastest for the least
total waiting. The attempts are bounded: a request that keeps losing is told 409 and may retry.
"""

from __future__ import annotations

import random

import msgspec
from prometheus_client import Counter

WRITE_ATTEMPTS = Counter(
    "registry_write_attempts", "Decide-and-append attempts of the write side (first tries and retries)"
)
WRITE_RETRIES = Counter(
    "registry_write_retries",
    "Appends that lost a race to a concurrent write and were decided again, by the losing stream's kind",
    ["stream"],
)
WRITE_EARLY_REFUSALS = Counter(
    "registry_write_early_refusals",
    "Commands refused on state read while another command had the turn of their stream (no queueing)",
)


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Bounded retries with exponential backoff and full jitter."""

    attempts: int = 10
    base: float = 0.004  # seconds: the bound of the first pause
    cap: float = 0.25  # seconds: no pause is longer

    def pause(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first): uniform(0, bound)."""
        bound = min(self.cap, self.base * 2 ** (retry - 1))
        return random.uniform(0, bound)  # noqa: S311 — jitter, not secrecy


RETRY = RetryPolicy()
