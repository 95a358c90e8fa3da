"""The registry's one secret: it signs the pages' CSRF tokens and keys the session hashes.

Never derived from anything guessable. Where it comes from, first found wins:

1. `REGISTRY_SECRET` (at least 32 characters): set it when several hosts share one database and
   you want to rotate it yourself;
2. a file in the data directory (`REGISTRY_SECRET_FILE`, which `registry serve` points at
   `<data dir>/secret` when it runs the embedded PostgreSQL), made on the first start with mode
   0600 and read by every later start and worker;
3. the database (table `registry_secret`), made by the first process to start on it: every
   worker and host on that database then agrees on it without any setting.

Changing the secret signs out every page session and voids forms already open.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import time
from pathlib import Path
from typing import Any

import asyncpg

from events.sql import query

MINIMUM_LENGTH = 32


def new_secret() -> str:
    return secrets.token_urlsafe(48)


def from_file(path: Path) -> str:
    """The secret kept in `path`, made there (mode 0600, never replaced) if it is not yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        # O_EXCL: of two workers starting at once, one writes and the other reads what it wrote.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as kept:
            kept.write(new_secret())
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < MINIMUM_LENGTH:
        # A worker may read while the first one is still writing: ask again, briefly.
        value = _read_when_written(path)
    return value


def _read_when_written(path: Path, attempts: int = 50) -> str:
    for _ in range(attempts):
        time.sleep(0.01)
        value = path.read_text(encoding="utf-8").strip()
        if len(value) >= MINIMUM_LENGTH:
            return value
    raise ValueError(f"{path} holds no secret of {MINIMUM_LENGTH} characters or more")


async def from_database(pool: asyncpg.Pool[Any]) -> str:
    """The secret kept in the database, made there if it is not yet (the first start wins)."""
    value: str | None = await pool.fetchval(query("registry/secret-keep"), new_secret())
    if value is None:
        # Another process kept one at the same moment: our insert waited for its commit and did
        # nothing, but the statement's snapshot is older than that commit, so it saw no row. The
        # same statement once more, with a new snapshot, finds the row now committed.
        value = await pool.fetchval(query("registry/secret-keep"), new_secret())
    if value is None:
        raise RuntimeError("the database kept no registry secret")
    return value


async def resolve(given: str | None, file: str | None, pool: asyncpg.Pool[Any]) -> str:
    """The secret: `given` (REGISTRY_SECRET), else the file's, else the database's."""
    if given:
        return given
    if file:
        return from_file(Path(file))
    return await from_database(pool)
