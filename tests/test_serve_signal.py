"""`registry serve` on its embedded PostgreSQL, stopped by SIGTERM (a service manager) or SIGINT
(Ctrl-C): it shuts down and stops the PostgreSQL it started, rather than leaving it running."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from tests.private_postgres import SYSTEM_USER, bin_dir, free_port

SECONDS_TO_START = 60  # initdb of a new data directory on a busy machine


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _postmaster(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    return int(pid_file.read_text().split()[0]) if pid_file.exists() else None


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_the_embedded_postgres_it_started_on(sig: signal.Signals) -> None:
    data = Path(tempfile.mkdtemp(prefix="registry-serve-"))
    port = free_port()
    # Without DATABASE_URL, so that serve starts the embedded server (in both CI runs).
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    serve = subprocess.Popen(
        [sys.executable, "-m", "registry.cli", "serve", "--port", str(port), "--data-dir", str(data)], env=env
    )
    postgres = None
    try:
        deadline = time.monotonic() + SECONDS_TO_START
        while True:
            assert serve.poll() is None, f"serve exited with {serve.returncode}"
            assert time.monotonic() < deadline, "serve did not start"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        postgres = _postmaster(data / "pg")
        assert postgres is not None and _alive(postgres)

        serve.send_signal(sig)
        code = serve.wait(timeout=30)
        deadline = time.monotonic() + 10
        while _alive(postgres) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(postgres), f"serve (exit {code}) left its embedded PostgreSQL running"
        if sig == signal.SIGTERM:
            assert code == 0, code  # a requested stop, not a crash
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()
        if postgres is not None and _alive(postgres):
            subprocess.run(
                [str(bin_dir() / "pg_ctl"), "-D", str(data / "pg"), "-m", "immediate", "stop"],
                user=SYSTEM_USER if os.geteuid() == 0 else None, check=False, capture_output=True,
            )  # fmt: skip
        shutil.rmtree(data, ignore_errors=True)
