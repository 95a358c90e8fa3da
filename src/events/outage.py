"""Telling "the database is not there right now" from every other failure.

An outage surfaces as many exception classes: the socket refused or reset (OSError), a timeout,
PostgreSQL ending sessions or refusing new ones while it shuts down, restarts or recovers (class
57: AdminShutdown, CrashShutdown, CannotConnectNow), a lost connection (class 08), too many
connections (class 53). asyncpg also reports a connection that died under a transaction as the
error of the clean-up that followed (an InterfaceError or InternalClientError from the rollback),
with the real cause in its context: so the whole chain is looked at.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from asyncpg.exceptions import InternalClientError, OperatorInterventionError

UNAVAILABLE: tuple[type[Exception], ...] = (
    OSError,  # refused, reset, unreachable; TimeoutError (connect, command timeouts) is one too
    asyncpg.PostgresConnectionError,
    OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
)


def is_unavailable(error: BaseException | None) -> bool:
    """True if `error`, or an error it was raised from or while handling, is an outage."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, UNAVAILABLE) or _lost_connection(error):
            return True
        error = error.__cause__ or error.__context__
    return False


def _lost_connection(error: BaseException) -> bool:
    # asyncpg tells some lost connections in words only, which are all that sets them apart from
    # a misuse of its API: a bare InterfaceError when a connection (or the pool) was closed under
    # the caller, and an InternalClientError when the server's goodbye (a FATAL error) reached an
    # idle pooled connection and the next query was sent before the connection's end was seen.
    message = str(error)
    if isinstance(error, asyncpg.InterfaceError):
        return "closed" in message or "closing" in message
    if isinstance(error, InternalClientError):
        return message.startswith("cannot switch to state")
    return False


async def close_session(conn: asyncpg.Connection[Any]) -> None:
    """Close a session of our own; one that the outage already ended needs no goodbye."""
    if conn.is_closed():
        return
    try:
        await conn.close(timeout=2)
    except Exception as error:
        if not is_unavailable(error):
            raise
        conn.terminate()
