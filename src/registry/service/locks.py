"""Per-stream locks inside one process: commands on one stream take turns instead of racing.

Optimistic concurrency alone makes a hot stream (one slot that sixty liaisons claim at once)
cost dozens of lost appends per request: every request reads the same version, one wins, the
rest decide again. Within a process that race is pointless, so commands on the same stream queue
here (FIFO) and only other processes' writes can still make an append lose.

Deadlock-free by construction: a holder takes all its locks at once, in sorted order, and takes
no more until it has released them. An entry lives only while someone holds or waits for it, so
the table does not grow with the number of streams ever written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable


class _Entry:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.users = 0  # holders and waiters; the entry goes when the last of them leaves


class StreamLocks:
    """One asyncio lock per stream in use, created on demand and dropped when unused."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        """How many streams are held or waited for right now."""
        return len(self._entries)

    @contextlib.asynccontextmanager
    async def hold(self, streams: Iterable[str]) -> AsyncIterator[None]:
        """Hold every one of `streams` (taken in sorted order) for the block."""
        async with contextlib.AsyncExitStack() as stack:
            for stream in sorted(set(streams)):
                await stack.enter_async_context(self._one(stream))
            yield

    @contextlib.asynccontextmanager
    async def _one(self, stream: str) -> AsyncIterator[None]:
        entry = self._entries.get(stream)
        if entry is None:
            entry = self._entries[stream] = _Entry()
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            # Also on cancellation while waiting: a waiter that gives up must not pin the entry.
            entry.users -= 1
            if entry.users == 0:
                del self._entries[stream]
