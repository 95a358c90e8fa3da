"""The registry under uvicorn on loopback, as a process the fault tests may kill and start again.

`tests.helpers.uvicorn_registry` serves one test's whole life; these tests need the same port
across a SIGKILL and a restart, so that clients retrying their requests find the new process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers import free_port, wait_until_serving

START_TIMEOUT_SECONDS = 30.0


class RegistryServer:
    """One uvicorn process at a time, always on the same loopback port."""

    def __init__(self, dsn: str, env: dict[str, str] | None = None) -> None:
        self.dsn = dsn
        self.env = env or {}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the process and return once it answers /health (the app has opened its pools)."""
        assert self.process is None, "already running"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "registry.app:app_from_env", "--factory",
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"],
            env={**os.environ, **self.env, "DATABASE_URL": self.dsn},
        )  # fmt: skip
        wait_until_serving(self.process, f"{self.base}/health", timeout=START_TIMEOUT_SECONDS)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, no transaction is finished, nothing is flushed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextmanager
def registry_server(dsn: str, env: dict[str, str] | None = None) -> Iterator[RegistryServer]:
    """A started server, stopped at the end whatever happened."""
    server = RegistryServer(dsn, env)
    try:
        server.start()
        yield server
    finally:
        server.stop()
