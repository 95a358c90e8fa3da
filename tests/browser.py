"""What the browser tests share: Debian's Chromium under Playwright, signing in through the form,
and the phone check every page visited must pass (no horizontal scroll at 390 × 844)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Browser, Locator, Page, sync_playwright
except ImportError:  # pragma: no cover — the dev group installs it
    sync_playwright = None  # type: ignore[assignment]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"

# For a test module: `pytestmark = needs_browser`.
needs_browser = pytest.mark.skipif(
    sync_playwright is None or not Path(CHROMIUM).exists(),
    reason="no browser: needs the playwright package and Debian's chromium "
    "(apt-get install -y chromium fonts-wqy-microhei; .ci/run installs them)",
)


@contextmanager
def chromium() -> Iterator[Browser]:
    assert sync_playwright is not None
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )  # fmt: skip
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Page, base: str, token: str) -> None:
    page.goto(f"{base}/pages/sign-in")
    page.fill("input[name=token]", token)
    follow(page, "button[type=submit].primary")


def follow(page: Page, target: str | Locator) -> None:
    """Click what leads to another page (a link, a form's button) and wait until that page has loaded.

    `click` returns once the click is dispatched, and a form's submission starts its navigation
    after that: a `wait_for_load_state()` called then finds the old page loaded and returns at
    once, and what follows reads a page that is going away (`assert_fits` once found no document).
    Waiting for the navigation the click sets off, up to its load event, has no such gap.
    """
    with page.expect_navigation():
        if isinstance(target, str):
            page.click(target)
        else:
            target.click()


def assert_fits(page: Page) -> None:
    """No horizontal scroll on the page as it is now (call it at 390 px on every page visited)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{page.url} scrolls sideways at {inner} px: {width} px wide"
