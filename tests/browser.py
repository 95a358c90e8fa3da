"""What the browser tests share: Debian's Chromium under Playwright, signing in through the form,
and the phone check every page visited must pass (no horizontal scroll at 390 × 844)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Browser, Page, sync_playwright
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
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def assert_fits(page: Page) -> None:
    """No horizontal scroll on the page as it is now (call it at 390 px on every page visited)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"{page.url} scrolls sideways at {inner} px: {width} px wide"
