"""Live subscriptions: catch up from the log, then follow it as it grows.

Polling the log is the source of truth; LISTEN/NOTIFY only wakes the poller early. A lost
notification therefore costs at most one poll interval, never an event, and a dropped listener
connection is simply opened again. A database outage is waited out the same way: the follower
keeps its position and polls until the database answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import asyncpg

from events.codec import Codec
from events.model import RecordedEvent
from events.outage import close_session, is_unavailable
from events.read import PAGE_SIZE, LogFilter, read_all_page, to_event

log = logging.getLogger(__name__)

CHANNEL = "events"
# What asyncpg calls with a notification: the connection, the sender's pid, the channel, the payload.
Listener = Callable[[Any, int, str, Any], None]


class Wakeup:
    """A LISTEN connection that sets an asyncio.Event whenever the log may have grown."""

    def __init__(self, dsn: str, connect_kwargs: dict[str, Any], channel: str = CHANNEL) -> None:
        self._dsn = dsn
        self._kwargs = connect_kwargs
        self._channel = channel
        self.event = asyncio.Event()
        self._conn: asyncpg.Connection[Any] | None = None
        self._others: dict[str, Listener] = {}
        self._on_lost: Callable[[], None] | None = None

    def listen_also(
        self, listeners: Mapping[str, Listener], on_lost: Callable[[], None] | None = None
    ) -> None:
        """Hear these channels too, on the same session (each with its own callback, not `event`).

        `on_lost` is called when that session ends, since what it would have heard is lost.
        """
        self._others.update(listeners)
        self._on_lost = on_lost

    @property
    def connection(self) -> asyncpg.Connection[Any] | None:
        return self._conn

    async def ensure_listening(self) -> None:
        """Open (or reopen) the listening connection; a failure is logged, polling carries on."""
        if self._conn is not None and not self._conn.is_closed():
            return
        conn: asyncpg.Connection[Any] | None = None
        try:
            conn = await asyncpg.connect(self._dsn, **self._kwargs)
            await conn.add_listener(self._channel, self._notified)
            for channel, listener in self._others.items():
                await conn.add_listener(channel, listener)
            conn.add_termination_listener(self._terminated)
        except BaseException as error:
            # Cancelled too (a follower stopped while it opens): the session is closed here, not
            # left for the garbage collector to find open.
            if conn is not None:
                conn.terminate()
            if not isinstance(error, Exception) or not is_unavailable(error):
                raise
            log.warning("cannot listen for new events, polling only: %s", error)
            return
        self._conn = conn
        # Anything committed while we were not listening is found by the next poll.
        self.event.set()

    def _notified(self, *_: object) -> None:
        self.event.set()

    def _terminated(self, *_: object) -> None:
        self._conn = None
        self.event.set()
        if self._on_lost is not None:
            self._on_lost()

    async def wait(self, timeout: float) -> None:
        # asyncio.timeout, not wait_for: Python 3.11's wait_for returns normally when it is
        # cancelled just as the event is set, so a runner stopped at that moment went on
        # running (and its registry's close waited out its grace).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self.event.wait()
        self.event.clear()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await close_session(conn)


async def follow(
    pool: asyncpg.Pool[Any],
    wakeup: Wakeup,
    codec: Codec,
    after: int,
    where: LogFilter,
    poll_interval: float,
    page_size: int = PAGE_SIZE,
) -> AsyncIterator[RecordedEvent]:
    """Every event after `after`, exactly once and in order, forever; outages are waited out."""
    position = after
    try:
        while True:
            await wakeup.ensure_listening()
            wakeup.event.clear()
            try:
                rows = await read_all_page(pool, position, page_size, where)
            except Exception as error:
                if not is_unavailable(error):
                    raise
                # The position is ours, not the database's: once it answers again we go on from
                # it, and nothing is missed or repeated.
                log.warning("subscription: database unavailable, polling again: %s", error)
                await asyncio.sleep(poll_interval)
                continue
            for row in rows:
                position = row["position"]
                yield to_event(row, codec)
            if len(rows) < page_size:
                await wakeup.wait(poll_interval)
    finally:
        await wakeup.close()
