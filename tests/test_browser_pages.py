"""Every page on a phone: one uvicorn server on the demo, one Chromium. Signed in as each role at
390 × 844, every GET page route of the app (read from the app, so a page added later is checked
too; real demo ids for its path parameters) must fit without sideways scroll, with every control a
thumb can hit (≥ 44 px tall). The menu is collapsed on a phone and open on a desktop, without script.

With REGISTRY_UPDATE_SCREENSHOT=1 the main pages' phone and desktop screenshots go to
docs/screenshots/ (the README's); otherwise to the test's temporary directory."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import asyncpg
import httpx
import pytest
from playwright.sync_api import Browser, Page

from registry.app import create_app
from registry.demo.load import FAIR_ID, demo_id
from registry.demo.network import FAIR, TRAINING
from registry.domain.values import Role
from registry.settings import Settings
from tests.browser import DESKTOP, PHONE, SCREENSHOTS, assert_fits, chromium, needs_browser, sign_in
from tests.demo_fixture import TRAINING_ID, Demo, DemoTemplate, demo_database
from tests.helpers import uvicorn_registry
from tests.test_pages_authorization import declared_roles, page_routes

pytestmark = needs_browser
_PARAM = re.compile(r"\{([^}:]+)(:[^}]*)?\}")
# Controls a thumb taps; checkboxes and radios are tapped by their labels, the menu's by its button.
TAPPABLE = (
    "button, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), "
    "header .menu a, .menu-button"
)


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_browser_pages")


@pytest.fixture(scope="module")
def served(demo: Demo) -> Iterator[str]:
    with uvicorn_registry(demo.dsn) as base:
        yield base


@pytest.fixture(scope="module")
def browser(served: str) -> Iterator[Browser]:
    # After the demo is loaded (with asyncio.run): Playwright keeps an event loop on this thread.
    with chromium() as found:
        yield found


async def _ids(dsn: str, unit_id: str | None) -> dict[str, str]:
    # Straight from the read model: the API lists no tokens, and one query a table is enough.
    conn = await asyncpg.connect(dsn)
    try:

        async def first(table: str, where: str = "TRUE", *args: object) -> str:
            found = await conn.fetchval(
                f"SELECT id::text FROM registry_read.{table} WHERE valid_to IS NULL AND {where} "
                "ORDER BY created_position LIMIT 1",
                *args,
            )
            if found is None and where != "TRUE":
                return await first(table)
            assert found is not None, f"the demo has no {table}"
            return str(found)

        unit = unit_id or await first("units")
        return {
            "unit_id": unit,
            "offer_id": await first("offers", "unit_id = $1::uuid", unit),
            "need_id": await first("needs", "unit_id = $1::uuid", unit),
            "commitment_id": await first("commitments", "unit_id = $1::uuid", unit),
            "token_id": await first("tokens"),
        }
    finally:
        await conn.close()


def ids_for(base: str, demo: Demo, role: Role) -> dict[str, str]:
    """Real demo ids for each path parameter; a liaison's are its own unit's where it has them."""
    unit_id = None
    if role == Role.LIAISON:
        response = httpx.get(
            f"{base}/api/v1/units",
            params={"q": demo.unit_name},
            headers={"Authorization": f"Bearer {demo.liaison}"},
        )
        unit_id = response.json()["items"][0]["id"]
    plan = TRAINING if role == Role.LIAISON else FAIR
    # Playwright's sync API keeps an event loop running on this thread: the reads run on another.
    with ThreadPoolExecutor(1) as pool:
        ids = pool.submit(asyncio.run, _ids(demo.dsn, unit_id)).result()
    return {
        **ids,
        # The fair (closed, with its history) for those who see its board; the open training for a
        # liaison, whose pages act on open slots.
        "plan_id": str(demo_id("plan", plan.key)),
        "slot_id": str(demo_id("slot", f"{plan.key}/{plan.slots[0].key}")),
    }


def get_pages(dsn: str, role: Role, ids: dict[str, str]) -> list[str]:
    """Every GET page route the role may use, its path parameters filled with real ids."""
    app = create_app(Settings(database_url=dsn))
    urls = []
    for method, path, handler in page_routes(app):
        if method != "GET" or role not in (declared_roles(handler) or ()):
            continue
        unknown = [name for name, _ in _PARAM.findall(path) if name not in ids]
        assert not unknown, f"{path}: add a demo id for {unknown} to ids_for"
        urls.append(_PARAM.sub(lambda m: ids[m.group(1)], path))
    return urls


def assert_tappable(page: Page) -> None:
    """Every visible control at least 44 px tall (and wide, for buttons)."""
    small = page.evaluate(
        """(selector) => [...document.querySelectorAll(selector)]
            .filter(e => e.offsetParent !== null)
            .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect()])
            .filter(([, r]) => r.height < 43.5)
            .map(([html, r]) => `${html} (${Math.round(r.height)} px)`)""",
        TAPPABLE,
    )
    assert not small, f"{page.url}: controls under 44 px: {small}"


def check(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status < 500, f"{url}: {response and response.status}"
    assert_fits(page)
    assert_tappable(page)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.LIAISON, Role.AUDITOR])
def test_every_page_fits_a_phone_as_each_role(browser: Browser, served: str, demo: Demo, role: Role) -> None:
    token = {Role.COORDINATOR: demo.coordinator, Role.LIAISON: demo.liaison, Role.AUDITOR: demo.auditor}[role]
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    try:
        page = context.new_page()
        check(page, f"{served}/pages/sign-in")
        sign_in(page, served, token)
        urls = get_pages(demo.dsn, role, ids_for(served, demo, role))
        assert len(urls) >= 4, urls
        for url in urls:
            check(page, f"{served}{url}")
        # An error page, and a page in English, fit as well.
        check(page, f"{served}/pages/plans/00000000-0000-0000-0000-000000000000")
        page.goto(f"{served}/pages/lang?to=en&next=/pages/units")
        check(page, f"{served}/pages/units/{demo_id('unit', 'heping-eye')}")
    finally:
        context.close()


def test_the_menu_is_collapsed_on_a_phone_and_open_on_a_desktop(
    browser: Browser, served: str, demo: Demo
) -> None:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, served, demo.coordinator)
        page.goto(f"{served}/pages/units")
        links = page.locator("header nav a")
        assert links.count() == 7  # plans, offers, needs, units, inbox, timeline, tokens
        assert not links.first.is_visible() and page.locator("#menu-button").is_visible()
        header = page.locator("header.top").bounding_box()
        assert header is not None and header["height"] < 60, "the header never wraps on a phone"
        page.click("#menu-button")  # no script: the label checks the box, the stylesheet opens the menu
        assert all(links.nth(i).is_visible() for i in range(links.count()))
        assert_tappable(page)
        assert_fits(page)

        page.set_viewport_size(DESKTOP)
        page.reload()
        assert links.first.is_visible() and not page.locator("#menu-button").is_visible()
        header = page.locator("header.top").bounding_box()
        assert header is not None and header["height"] < 60
    finally:
        context.close()


# The main pages for the README: (file name, role, path).
MAIN_PAGES = [
    ("sign-in", None, "/pages/sign-in"),
    ("plans", Role.COORDINATOR, "/pages/plans"),
    ("board", Role.COORDINATOR, f"/pages/plans/{FAIR_ID}"),
    ("units", Role.COORDINATOR, "/pages/units"),
    ("unit", Role.COORDINATOR, f"/pages/units/{demo_id('unit', 'heping-eye')}"),
    ("report", Role.COORDINATOR, f"/pages/plans/{FAIR_ID}/report"),
    ("allocate", Role.COORDINATOR, f"/pages/plans/{TRAINING_ID}/allocate"),
    ("tokens", Role.COORDINATOR, "/pages/tokens"),
    ("offers", Role.LIAISON, "/pages/offers"),
    ("offer-form", Role.LIAISON, "/pages/offers/new"),
    ("needs", Role.LIAISON, "/pages/needs"),
    ("inbox", Role.LIAISON, "/pages/inbox"),
    ("timeline", Role.AUDITOR, "/pages/timeline"),
]


def test_screenshots_of_the_main_pages(browser: Browser, served: str, demo: Demo, tmp_path: Path) -> None:
    folder = SCREENSHOTS if os.environ.get("REGISTRY_UPDATE_SCREENSHOT") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    tokens = {Role.COORDINATOR: demo.coordinator, Role.LIAISON: demo.liaison, Role.AUDITOR: demo.auditor}
    pages: dict[Role | None, Page] = {}
    taken = []
    try:
        for name, role, path in MAIN_PAGES:
            if role not in pages:
                pages[role] = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
                if role is not None:
                    sign_in(pages[role], served, tokens[role])
            page = pages[role]
            page.set_viewport_size(PHONE)
            response = page.goto(f"{served}{path}")
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
            assert_fits(page)
            page.screenshot(path=str(folder / f"{name}-phone.png"))
            page.set_viewport_size(DESKTOP)
            page.screenshot(path=str(folder / f"{name}-desktop.png"))
            taken.append(name)
    finally:
        for page in pages.values():
            page.context.close()
    assert taken == [name for name, _, _ in MAIN_PAGES]
