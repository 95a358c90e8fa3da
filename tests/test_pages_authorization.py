"""The pages' authorization matrix: every page route declares who may use it (the edge's `allow`
guard, read here from the app itself, so a new page or form is covered the day it is added), and
every role is tried on every route — the others get 403, those allowed never do, no one gets a 500.

A route with no declared roles fails the first test: a page must say who it is for. Routes open to
every signed-in role say so with all three.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar import Litestar
from litestar.handlers import HTTPRouteHandler

from registry.app import create_app
from registry.domain.values import Role
from registry.edge.auth import allow
from registry.settings import Settings
from tests.demo_fixture import Demo, DemoTemplate, demo_database
from tests.test_pages import Client, csrf_of, sign_in

# Open before signing in, or the sign-in itself: no role to check.
UNGUARDED = {"/pages/sign-in", "/pages/lang", "/pages/sign-out", "/"}
_PARAM = re.compile(r"\{[^}]+\}")


def page_routes(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        if not (route.path == "/" or route.path.startswith("/pages")) or route.path in UNGUARDED:
            continue
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                found.append(
                    (method, route.path_format if hasattr(route, "path_format") else route.path, handler)
                )
    return found


def declared_roles(handler: HTTPRouteHandler) -> tuple[Role, ...] | None:
    guards = [g for layer in handler.ownership_layers for g in (layer.guards or [])]
    for guard in guards:
        if isinstance(guard, allow):
            return guard.roles
    return None


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_pages_authz")


@pytest.fixture(scope="module")
def app(demo: Demo) -> Litestar:
    return create_app(Settings(database_url=demo.dsn))


def test_every_page_route_declares_its_roles(app: Litestar) -> None:
    routes = page_routes(app)
    assert len(routes) >= 10, "the pages' routes were not found"
    undeclared = [f"{method} {path}" for method, path, handler in routes if declared_roles(handler) is None]
    assert not undeclared, f"page routes with no `allow` guard: {undeclared}"


async def _signed_in(app: Litestar, token: str) -> AsyncIterator[Client]:
    from litestar.testing import AsyncTestClient

    async with AsyncTestClient(app) as client:
        client.follow_redirects = False
        await sign_in(client, token)
        yield client


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.LIAISON, Role.AUDITOR])
async def test_each_role_is_refused_exactly_the_routes_not_declared_for_it(
    app: Litestar, demo: Demo, role: Role
) -> None:
    token = {Role.COORDINATOR: demo.coordinator, Role.LIAISON: demo.liaison, Role.AUDITOR: demo.auditor}[role]
    answers: dict[str, tuple[int, bool]] = {}
    async for client in _signed_in(app, token):
        csrf = csrf_of((await client.get("/pages/plans")).text)
        for method, path, handler in page_routes(app):
            roles = declared_roles(handler) or ()
            url = _PARAM.sub(str(uuid.uuid4()), path)
            if method == "GET":
                response = await client.get(url)
            else:
                response = await client.request(method, url, data={"_csrf_token": csrf})
            answers[f"{method} {path}"] = (response.status_code, role in roles)
    wrong = {
        route: status
        for route, (status, allowed) in answers.items()
        if status >= 500 or (status == 403) == allowed
    }
    assert not wrong, f"as {role.value}: {wrong}"
