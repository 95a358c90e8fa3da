"""Tokens never reach the logs: the registry under uvicorn, every logger turned up, watched.

The server runs as in production (uvicorn, its access log on) but with the registry's, the event
store's, Litestar's and uvicorn's loggers at their most talkative and Litestar in debug mode (so
it logs every exception it handles, with its traceback). Tokens go in by every way they can: the
Authorization header (valid, unknown, revoked, malformed), the sign-in form, the session cookie,
and a new token's secret in a response; some of those requests fail inside a handler. Then no
secret, nor the hash that stands for it in the database, may appear in anything the server wrote.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from litestar import Litestar

from registry.app import app_from_env
from registry.service.commands import hash_secret
from tests.helpers import coordinator_token, uvicorn_registry

TRACE = 5  # uvicorn's level below DEBUG: it logs every ASGI message it passes on
LOGGERS = ("registry", "events", "litestar", "uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


def talkative_app() -> Litestar:
    """The production app factory, then every logger that could see a request at its lowest level.

    Set after the app is made: Litestar configures logging (root at INFO) when it is built.
    """
    app = app_from_env()
    logging.getLogger().setLevel(logging.DEBUG)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(TRACE)
    return app


@contextmanager
def talkative_server(dsn: str, output: Path) -> Iterator[str]:
    with output.open("wb") as sink, uvicorn_registry(
        dsn, "tests.test_logs:talkative_app", ("--log-level", "trace", "--access-log"),
        env={"LITESTAR_DEBUG": "1"}, output=sink,
    ) as base:  # fmt: skip
        yield base


def exercise(base: str, coordinator: str) -> list[str]:
    """Tokens in by every way, some requests failing in their handlers; returns every secret used."""
    unknown = "reg_" + "unknownSecretValue0123456789abcdefghijklmno"
    with httpx.Client(base_url=base, timeout=10, follow_redirects=False) as client:

        def bearer(secret: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {secret}"}

        assert client.get("/api/v1/units", headers=bearer(coordinator)).status_code == 200
        assert client.get("/api/v1/units", headers=bearer(unknown)).status_code == 401
        assert client.get("/api/v1/units", headers={"Authorization": f"Basic {unknown}"}).status_code == 401
        assert client.get("/api/v1/units", headers={"Authorization": unknown}).status_code == 401
        # A new token's secret travels in a response; then it is revoked and tried again.
        issued = client.post(
            "/api/v1/tokens", json={"role": "auditor", "label": "日志"}, headers=bearer(coordinator)
        )
        assert issued.status_code == 201, issued.text
        revoked = issued.json()["token"]
        assert client.get("/api/v1/units", headers=bearer(revoked)).status_code == 200
        assert (
            client.delete(f"/api/v1/tokens/{issued.json()['id']}", headers=bearer(coordinator)).status_code
            == 204
        )
        assert client.get("/api/v1/units", headers=bearer(revoked)).status_code == 401
        # Failing inside a handler, token in hand: a 404, a 403, malformed and invalid bodies.
        assert client.get(f"/api/v1/units/{uuid.uuid4()}", headers=bearer(coordinator)).status_code == 404
        assert client.get("/api/v1/audit/events", headers=bearer(revoked)).status_code == 401
        malformed = client.post(
            "/api/v1/units",
            content=b'{"name": ',
            headers={**bearer(coordinator), "Content-Type": "application/json"},
        )
        assert malformed.status_code == 400, malformed.text
        invalid = client.post("/api/v1/units", json={"name": 1, "kind": "x"}, headers=bearer(coordinator))
        assert invalid.status_code == 400, invalid.text

        # The pages: the sign-in form (refused without its CSRF token, a bad token, a good one),
        # then the session cookie on a page and on a page that fails.
        form = client.get("/pages/sign-in")
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        assert client.post("/pages/sign-in", data={"token": coordinator}).status_code == 403
        bad = client.post("/pages/sign-in", data={"token": unknown, "_csrf_token": csrf.group(1)})
        assert bad.status_code == 401
        signed_in = client.post("/pages/sign-in", data={"token": coordinator, "_csrf_token": csrf.group(1)})
        assert signed_in.status_code == 303, signed_in.text
        session = client.cookies.get("registry_session")
        assert session and session != coordinator  # an opaque session id, never the token itself
        assert client.get("/pages/plans").status_code == 200
        assert client.get(f"/pages/plans/{uuid.uuid4()}").status_code == 404
        client.cookies.set("registry_session", unknown, path="/pages")
        assert client.get("/pages/plans").status_code == 303
    return [coordinator, unknown, revoked, session]


def test_no_token_reaches_the_logs(database_dsn: str, tmp_path: Path) -> None:
    coordinator = asyncio.run(coordinator_token(database_dsn, "logs"))
    output = tmp_path / "server.log"
    with talkative_server(database_dsn, output) as base:
        secrets = exercise(base, coordinator)
    logged = output.read_text(encoding="utf-8", errors="replace")

    # The logging was on: requests, and the exceptions Litestar handled, with tracebacks.
    assert '"GET /api/v1/units HTTP/1.1" 401' in logged and '"POST /pages/sign-in HTTP/1.1" 303' in logged
    assert "Traceback" in logged and "ASGI [" in logged
    for secret in secrets:
        for form in (secret, hash_secret(secret)):
            assert form not in logged, f"{form[:8]}… appears in the server's output"
