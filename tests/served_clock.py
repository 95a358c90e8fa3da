"""An app factory for a uvicorn-served registry whose clock the test moves from outside the process.

"Now" is the time written in the file REGISTRY_TEST_NOW_FILE names (ISO 8601 with an offset), or
the wall clock while the file is empty — so a browser test can let a planned activity's time come
without waiting for it. Only tests use this factory; the clock is the one thing outside faked.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from litestar import Litestar

from registry.app import create_app
from registry.settings import settings_from_env

FACTORY = "tests.served_clock:app"
NOW_FILE = "REGISTRY_TEST_NOW_FILE"


def app() -> Litestar:
    path = Path(os.environ[NOW_FILE])

    def now() -> datetime:
        written = path.read_text().strip()
        return datetime.fromisoformat(written) if written else datetime.now(UTC)

    return create_app(msgspec.structs.replace(settings_from_env(), clock=now))
