"""The `eventsourcing` library's PostgreSQL recorder, driven as its applications drive it.

Kept apart from event_store.py so that event topics resolve to an importable module
(`bench._eventsourcing:ThingHappened`) and so that the library is only imported when used.
The library is synchronous (psycopg 3), so concurrency is threads, one pooled connection each.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote, urlsplit

from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    UUIDAsHex,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore


class ThingHappened(DomainEvent):
    """The same payload as the event store's `ThingHappened` Struct, as a domain event."""

    subject: str
    name: str
    amount: int
    tags: list[str]


def connection_params(dsn: str) -> dict[str, str]:
    """PostgresDatastore's keyword arguments for a libpq URL.

    A unix-socket URL (`postgresql://user:@/db?host=/socket/dir`, as the embedded server gives)
    maps onto host=/socket/dir: psycopg (libpq) takes a host starting with "/" as the directory
    of the socket, and the port names the socket file (.s.PGSQL.<port>).
    """
    parts = urlsplit(dsn)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    return {
        "dbname": unquote(parts.path.lstrip("/")) or query.get("dbname", "postgres"),
        "host": query.get("host") or parts.hostname or "localhost",
        "port": query.get("port") or str(parts.port or 5432),
        "user": unquote(parts.username or "") or query.get("user", "postgres"),
        "password": unquote(parts.password or "") or query.get("password", ""),
    }


def transcoder() -> JSONTranscoder:
    """The transcoder an eventsourcing Application builds by default."""
    coder = JSONTranscoder()
    coder.register(UUIDAsHex())
    coder.register(DecimalAsStr())
    coder.register(DatetimeAsISO())
    return coder


class Recorder:
    """A datastore, its application recorder (tables created) and a mapper."""

    def __init__(self, dsn: str, pool_size: int) -> None:
        self.datastore = PostgresDatastore(**connection_params(dsn), pool_size=pool_size, connect_timeout=30)
        self.recorder = PostgresApplicationRecorder(self.datastore)
        self.recorder.create_table()
        self.mapper: Mapper[uuid.UUID] = Mapper(transcoder=transcoder())

    def close(self) -> None:
        self.datastore.close()

    def stored(self, originator_id: uuid.UUID, version: int, payload: dict[str, object]) -> StoredEvent:
        event = ThingHappened(  # type: ignore[call-arg]
            originator_id=originator_id,
            originator_version=version,
            timestamp=datetime.now(UTC),
            **payload,
        )
        return self.mapper.to_stored_event(event)


def run_threads(threads: int, work: Callable[[int], None]) -> float:
    """Run `work(index)` on `threads` threads started together; the seconds they took."""
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def target(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as error:  # reported after the join
            errors.append(error)

    pool = [threading.Thread(target=target, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


def append(
    dsn: str, count: int, threads: int, warmup: int, payload: Callable[[int], dict[str, object]]
) -> float:
    """`count` single-event inserts, each a new aggregate, from `threads` threads; seconds.

    `warmup` (at least `threads`) more inserts go first, untimed.
    """
    store = Recorder(dsn, pool_size=threads)
    try:

        def insert(indexes: range) -> None:
            for i in indexes:
                store.recorder.insert_events([store.stored(uuid.uuid4(), 1, payload(i))])

        # Opens every pooled connection and prepares the statements before the clock starts.
        run_threads(threads, lambda t: insert(range(count + t, count + warmup, threads)))
        elapsed = run_threads(threads, lambda t: insert(range(t, count, threads)))
        total = store.recorder.max_notification_id()
        assert total == count + warmup, (total, count, warmup)
        return elapsed
    finally:
        store.close()


def load(
    dsn: str,
    count: int,
    streams: int,
    batch: int,
    payload: Callable[[int], dict[str, object]],
) -> float:
    """Insert `count` events over `streams` aggregates in batches of `batch`; seconds."""
    store = Recorder(dsn, pool_size=1)
    try:
        ids = [uuid.uuid4() for _ in range(streams)]
        started = time.perf_counter()
        for start in range(0, count, batch):
            store.recorder.insert_events(
                [
                    store.stored(ids[i % streams], i // streams + 1, payload(i))
                    for i in range(start, min(start + batch, count))
                ]
            )
        return time.perf_counter() - started
    finally:
        store.close()


def replay(dsn: str, page_size: int) -> tuple[int, int, float]:
    """Page through the notification log, each notification mapped to its domain event.

    Returns the events seen, the sum of their amounts (a check) and the seconds it took.
    """
    store = Recorder(dsn, pool_size=1)
    try:
        recorder, mapper = store.recorder, store.mapper
        recorder.select_notifications(start=1, limit=1)  # connect before the clock starts
        seen = 0
        checksum = 0
        started = time.perf_counter()
        start = 1
        while True:
            notifications = recorder.select_notifications(start=start, limit=page_size)
            for notification in notifications:
                event = mapper.to_domain_event(notification)
                checksum += event.amount  # type: ignore[attr-defined]
            seen += len(notifications)
            if len(notifications) < page_size:
                break
            start = notifications[-1].id + 1
        return seen, checksum, time.perf_counter() - started
    finally:
        store.close()
