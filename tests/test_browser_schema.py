"""/schema works offline: in Chromium, with every request to a host other than loopback refused,
Swagger UI loads from the registry's own files, lists every operation of the OpenAPI document,
and, authorized with a coordinator's token, calls one. No request leaves loopback, and the
page's CSP (scripts from 'self' only) refuses nothing the page needs.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.browser import DESKTOP, PHONE, assert_fits, chromium, needs_browser
from tests.demo_fixture import Demo, DemoTemplate, demo_database
from tests.helpers import uvicorn_registry

pytestmark = needs_browser
LOOPBACK = {"127.0.0.1", "localhost"}
# A bound on waiting for the UI to draw (a busy CI machine is slow), not a speed being tested.
WAIT_MS = 60_000


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_browser_schema")


@pytest.fixture(scope="module")
def served(demo: Demo) -> Iterator[str]:
    with uvicorn_registry(demo.dsn) as base:
        yield base


def _operations(base: str) -> list[tuple[str, str]]:
    with urllib.request.urlopen(f"{base}/schema/openapi.json", timeout=10) as answer:
        document = json.load(answer)
    return [(method, path) for path, item in document["paths"].items() for method in item]


def test_schema_lists_every_operation_and_calls_one_with_nothing_leaving_loopback(
    served: str, demo: Demo
) -> None:
    left: list[str] = []
    refused: list[str] = []
    operations = _operations(served)
    with chromium() as browser:
        context = browser.new_context(viewport=DESKTOP)

        def only_loopback(route: object) -> None:
            url = route.request.url  # type: ignore[attr-defined]
            if urlsplit(url).hostname in LOOPBACK:
                route.continue_()  # type: ignore[attr-defined]
            else:
                left.append(url)
                route.abort()  # type: ignore[attr-defined]

        context.route("**/*", only_loopback)
        page = context.new_page()
        page.on("console", lambda message: refused.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: refused.append(str(error)))

        for address in ("/schema", "/schema/swagger"):
            page.goto(f"{served}{address}")
            page.wait_for_selector(".opblock", timeout=WAIT_MS)
            assert page.locator(".opblock").count() == len(operations), address
            # Each operation by its path, and one by its summary.
            text = page.inner_text("#swagger-ui")
            for _, path in operations:
                assert path in text, f"{address}: {path} not listed"
            assert "Register a unit" in text

        # Authorized with a bearer token, "Try it out" calls the API from this page.
        page.click("button.authorize")
        page.fill(".auth-container input", demo.coordinator)
        page.click(".auth-btn-wrapper button.authorize")
        page.click("button.btn-done")
        categories = page.locator(".opblock", has_text="/api/v1/categories")
        categories.locator(".opblock-summary").click()
        categories.locator("button.try-out__btn").click()
        categories.locator("button.execute").click()
        status = categories.locator(".live-responses-table tbody .response-col_status")
        status.first.wait_for(timeout=WAIT_MS)
        assert status.first.inner_text().strip() == "200"

        page.set_viewport_size(PHONE)
        assert_fits(page)
        context.close()

    assert left == [], f"requests left loopback: {left}"
    assert not [m for m in refused if "Content Security Policy" in m], refused
