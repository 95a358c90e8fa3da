"""Small helpers shared by the tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import TypeVar

import httpx

from events import NewEvent

T = TypeVar("T")


def ev(n: int = 0, type_: str = "thing_happened") -> NewEvent:
    return NewEvent(type=type_, data={"n": n})


async def collect(iterator: AsyncIterator[T]) -> list[T]:
    return [item async for item in iterator]


@contextmanager
def uvicorn_registry(dsn: str) -> Iterator[str]:
    """The registry served by uvicorn on loopback, as in production; yields its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "registry.app:app_from_env", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env={**os.environ, "DATABASE_URL": dsn},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the registry did not start")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)
