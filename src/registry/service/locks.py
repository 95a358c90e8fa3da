"""Per-stream turns inside one process: commands on one stream take turns instead of racing.

Optimistic concurrency alone makes a hot stream (one slot that sixty liaisons claim at once)
cost dozens of lost appends per request: every request reads the same version, one wins, the
rest decide again. Within a process that race is pointless, so commands on the same stream queue
here and only other processes' writes can still make an append lose.

A command gets the turns of all its streams at once or waits holding none of them. Taking them
one by one (in sorted order, as this table first did) is deadlock-free too, but a claim holding
its offer's turn while it queues for its plan's blocks everyone queued on the offer: waits
chained across streams into convoys (a 13-17 s tail under `bench.load`). Here a waiter is
granted as soon as every one of its streams is free, even ahead of older waiters that still
wait for another stream; to keep that from starving a waiter that needs two busy streams, one
overtaken `INSISTENT` times reserves its streams: nobody behind it on them passes it any more.

Deadlock-free: nobody holds a turn while waiting for one. Starvation-free: a waiter passed
`INSISTENT` times is passed no more on any of its streams.
An entry lives only while someone holds or waits for it, so the table does not grow with the
number of streams ever written.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable

# How often younger waiters may pass a waiter before it reserves its streams (bounds its wait).
INSISTENT = 8


class _Waiter:
    __slots__ = ("granted", "overtaken", "streams")

    def __init__(self, streams: list[str]) -> None:
        self.streams = streams
        self.granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.overtaken = 0


class _Entry:
    __slots__ = ("held", "queue")

    def __init__(self) -> None:
        self.held = False
        self.queue: list[_Waiter] = []  # oldest first; a waiter leaves when granted or cancelled


class Turns:
    """The turns one holder has: it may add more, but only those nobody holds or waits for."""

    def __init__(self, locks: StreamLocks, names: list[str]) -> None:
        self._locks = locks
        self.names = names

    def extend(self, streams: Iterable[str]) -> bool:
        """Also hold `streams` if every one not held yet is free now (never waits); else hold none."""
        more = sorted(set(streams).difference(self.names))
        if not self._locks.take_if_free(more):
            return False
        self.names.extend(more)
        return True


class StreamLocks:
    """The turns of the streams in use, created on demand and dropped when unused."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def __len__(self) -> int:
        """How many streams are held or waited for right now."""
        return len(self._entries)

    def free(self, streams: Iterable[str]) -> bool:
        """Nobody holds or waits for any of `streams`: a `hold` of them would not wait."""
        return not any(stream in self._entries for stream in streams)

    def queued(self, stream: str) -> int:
        """How many wait for the stream's turn (not counting its holder)."""
        entry = self._entries.get(stream)
        return len(entry.queue) if entry is not None else 0

    @contextlib.asynccontextmanager
    async def hold(self, streams: Iterable[str]) -> AsyncIterator[Turns]:
        """Hold the turns of every one of `streams` for the block, all taken at once."""
        names = sorted(set(streams))
        waiter = _Waiter(names)
        for name in names:
            self._entries.setdefault(name, _Entry()).queue.append(waiter)
        if names:
            self._grant(names)
        else:
            waiter.granted.set_result(None)
        try:
            await waiter.granted
        except asyncio.CancelledError:
            if waiter.granted.done() and not waiter.granted.cancelled():
                self._release(names)  # granted, then cancelled before it could run
            else:
                self._leave(waiter)
            raise
        turns = Turns(self, names)
        try:
            yield turns
        finally:
            self._release(turns.names)

    def take_if_free(self, streams: list[str]) -> bool:
        """Take the turns of `streams` if nobody holds or waits for any of them (never waits)."""
        if not self.free(streams):
            return False
        for name in streams:
            self._entries[name] = entry = _Entry()
            entry.held = True
        return True

    def _grant(self, streams: list[str]) -> None:
        """Give the turns of `streams`' queues to every waiter whose streams are all free now."""
        for name in streams:
            entry = self._entries.get(name)
            if entry is None:
                continue
            for waiter in list(entry.queue):
                if entry.held:
                    break
                if self._grantable(waiter):
                    self._take(waiter)
                elif waiter.overtaken >= INSISTENT:
                    break  # nobody behind it here may pass it

    def _grantable(self, waiter: _Waiter) -> bool:
        for name in waiter.streams:
            entry = self._entries[name]
            if entry.held:
                return False
            for ahead in entry.queue:
                if ahead is waiter:
                    break
                if ahead.overtaken >= INSISTENT:
                    return False
        return True

    def _take(self, waiter: _Waiter) -> None:
        for name in waiter.streams:
            entry = self._entries[name]
            entry.held = True
            place = entry.queue.index(waiter)
            for ahead in entry.queue[:place]:
                ahead.overtaken += 1
            del entry.queue[place]
        waiter.granted.set_result(None)

    def _release(self, streams: list[str]) -> None:
        for name in streams:
            self._entries[name].held = False
        self._grant(streams)
        self._drop_unused(streams)

    def _leave(self, waiter: _Waiter) -> None:
        """A waiter gave up (cancelled): out of every queue; whoever it held back may go."""
        for name in waiter.streams:
            self._entries[name].queue.remove(waiter)
        self._grant(waiter.streams)
        self._drop_unused(waiter.streams)

    def _drop_unused(self, streams: list[str]) -> None:
        for name in streams:
            entry = self._entries.get(name)
            if entry is not None and not entry.held and not entry.queue:
                del self._entries[name]
