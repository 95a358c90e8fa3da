"""The registry installs from its wheel and runs from there, far from this checkout.

The wheel carries every file the code reads (each package's queries and migrations, the pages'
templates and stylesheet, the API docs' Swagger UI). Built with `uv build`, installed into a fresh
virtual environment in a temporary directory with the locked dependencies, it migrates a fresh
database and serves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("uv") is None, reason="building the wheel needs uv")


def _run(*command: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment outside the checkout with the wheel and the locked dependencies."""
    place = tmp_path_factory.mktemp("installed")
    _run("uv", "build", "--wheel", "--out-dir", str(place / "dist"), cwd=ROOT)
    (wheel,) = (place / "dist").glob("registry-*.whl")
    requirements = place / "requirements.txt"
    exported = _run("uv", "export", "--locked", "--no-dev", "--no-emit-project", "--no-hashes", cwd=ROOT)
    requirements.write_text(exported)
    venv = place / "venv"
    _run("uv", "venv", "--python", sys.executable, str(venv), cwd=place)
    python = str(venv / "bin" / "python")
    _run("uv", "pip", "install", "--python", python, "-r", str(requirements), cwd=place)
    _run("uv", "pip", "install", "--python", python, "--no-deps", str(wheel), cwd=place)
    return venv


def test_the_installed_wheel_migrates_a_fresh_database_and_serves(
    installed: Path, empty_database_dsn: str
) -> None:
    workdir = installed.parent / "elsewhere"
    workdir.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {"DATABASE_URL": empty_database_dsn, "REGISTRY_SECRET": "s" * 40}
    registry = str(installed / "bin" / "registry")
    migrated = _run(registry, "db", "migrate", cwd=workdir, env=env)
    assert "applied events/0001_event_store" in migrated and "applied registry/0001_btree_gist" in migrated
    status = _run(registry, "db", "status", cwd=workdir, env=env)
    assert "pending" not in status and "changed" not in status
    port = free_port()
    server = subprocess.Popen([registry, "serve", "--port", str(port)], cwd=workdir, env=env)
    try:
        wait_until_serving(server, f"http://127.0.0.1:{port}/health", timeout=60)
        # The pages' templates and stylesheet came with it too.
        import httpx

        assert httpx.get(f"http://127.0.0.1:{port}/pages/sign-in").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/static/pages.css").status_code == 200
        # And the API's docs their vendored Swagger UI (no CDN).
        assert httpx.get(f"http://127.0.0.1:{port}/static/swagger/swagger-ui-bundle.js").status_code == 200
        # The first /schema builds the whole OpenAPI document: seconds on a busy 2-core machine.
        assert httpx.get(f"http://127.0.0.1:{port}/schema", timeout=60).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
