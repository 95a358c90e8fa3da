"""In a real browser (Debian's Chromium, headless, driven by Playwright): a coordinator signs in, opens
the training's board and allocates; the chosen unit's liaison signs in and accepts the dispatch; the
coordinator's board shows the slot covered. The board's screenshot is written to the test's
temporary directory, or to docs/screenshots/board.png (the README's) with
REGISTRY_UPDATE_SCREENSHOT=1, so that a test run does not change a tracked file."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.browser import follow, sign_in
from tests.demo_fixture import TRAINING_ID, Demo, DemoTemplate, demo_database
from tests.helpers import uvicorn_registry
from tests.test_pages import dispatched_unit_liaison

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "screenshots" / "board.png"

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover — the dev group installs it
    sync_playwright = None  # type: ignore[assignment]

pytestmark = pytest.mark.skipif(
    sync_playwright is None or not CHROMIUM.exists(),
    reason="no browser: needs the playwright package and /usr/bin/chromium "
    "(apt-get install -y chromium fonts-wqy-microhei; .ci/run installs them)",
)


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_browser")


@pytest.fixture(scope="module")
def served(demo: Demo) -> Iterator[str]:
    """The registry under uvicorn on loopback, as in production."""
    with uvicorn_registry(demo.dsn) as base:
        yield base


def _liaison_token(dsn: str) -> str:
    # Playwright's sync API keeps an event loop running on this thread: the lookup runs on another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, dispatched_unit_liaison(dsn)).result()


def test_coordinator_allocates_liaison_accepts_board_shows_it_covered(
    served: str, demo: Demo, tmp_path: Path
) -> None:
    screenshot = SCREENSHOT if os.environ.get("REGISTRY_UPDATE_SCREENSHOT") == "1" else tmp_path / "board.png"
    assert sync_playwright is not None
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )  # fmt: skip
        try:
            coordinator = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
            page = coordinator.new_page()
            sign_in(page, served, demo.coordinator)
            assert "活动计划" in page.content()
            follow(page, f"a[href='/pages/plans/{TRAINING_ID}']")
            assert "已承接 0 / 需 1" in page.content()
            follow(page, "#allocate")  # the dry run, then its dispatch
            follow(page, "#dispatch-allocation")
            assert "已承接 1 / 需 1" in page.content()

            liaison = browser.new_context(locale="zh-CN")
            inbox = liaison.new_page()
            sign_in(inbox, served, _liaison_token(demo.dsn))
            assert inbox.url.endswith("/pages/inbox")
            follow(inbox, "li.item form[action$='/accept'] button")
            assert "已接单" in inbox.content() and "登记成效" in inbox.content()

            page.reload()
            slot = page.locator("section.slot").first
            assert "已满" in slot.inner_text()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert screenshot.stat().st_size > 10_000
