"""Progress bars for long commands, on standard error, drawn only when it is a terminal.

A piped or redirected standard error (CI, a log file, `2>&1 | …`) gets nothing: no bar, no
escape codes. Standard output is never touched, so `registry audit export > log.ndjson` stays
clean with or without a bar.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Literal, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from events.model import RecordedEvent
from events.projection import Build, PageWrites, Projection
from events.sql import Connection

# Sets how much is done so far (events, or bytes); cheap enough to call per event.
Advance = Callable[[int], None]
_EVERY = 1000


def _quiet(_: int) -> None:
    """No bar to move."""


@contextmanager
def progress(
    description: str,
    total: int | None,
    *,
    unit: Literal["events", "bytes"] = "events",
    file: TextIO | None = None,
) -> Iterator[Advance]:
    """A bar up to `total` (None: unknown); yields the function that sets how much is done.

    Draws on `file` (standard error by default) only if it is a terminal.
    """
    # Looked up now, not at import: click's test runner and redirections swap sys.stderr.
    stream = file if file is not None else sys.stderr
    if not stream.isatty():
        yield _quiet
        return
    counted: tuple[ProgressColumn, ...] = (
        (DownloadColumn(), TransferSpeedColumn())
        if unit == "bytes"
        else (MofNCompleteColumn(), TextColumn("events"))
    )
    columns = (
        TextColumn("{task.description}"), BarColumn(), *counted, TimeElapsedColumn(), TimeRemainingColumn(),
    )  # fmt: skip
    with Progress(*columns, console=Console(file=stream)) as bar:
        task = bar.add_task(description, total=total)
        yield lambda done: bar.update(task, completed=done)


def counting_bytes(lines: Iterable[bytes], advance: Advance) -> Iterator[bytes]:
    """`lines` unchanged, reporting the bytes read so far every thousand lines and at the end."""
    done = 0
    for number, line in enumerate(lines, 1):
        done += len(line)
        if number % _EVERY == 0:
            advance(done)
        yield line
    advance(done)


def tracking(projection: Projection, advance: Advance) -> Projection:
    """The same projection (name, schema, tables), reporting each page's last position.

    A rebuild or catch-up then shows how far through the log it is without the runner knowing.
    """

    async def apply(conn: Connection, events: Sequence[RecordedEvent]) -> None:
        await projection.apply(conn, events)
        if events:
            advance(events[-1].position)

    build = projection.build
    return Projection(
        projection.name, projection.schema, projection.ddl, apply=apply, types=projection.types,
        build=None if build is None else lambda: _TrackedBuild(build(), advance),
        committed=projection.committed,
    )  # fmt: skip


class _TrackedBuild:
    """A projection's build, reporting the last position of every page it folds."""

    def __init__(self, build: Build, advance: Advance) -> None:
        self._build = build
        self._advance = advance
        self._last = 0

    def add(self, events: Sequence[RecordedEvent]) -> None:
        self._build.add(events)
        if events:
            self._last = events[-1].position

    def take(self) -> PageWrites:
        self._advance(self._last)
        return self._build.take()
