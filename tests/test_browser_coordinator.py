"""In Chromium at 390 × 844, through the forms only: the coordinator signs in, issues a liaison's
token (its QR code shown), drafts a plan, adds two slots, publishes, looks at the allocation's dry
run, dispatches it, completes the plan with its outcome and opens the report — and no page it
visits scrolls sideways. With REGISTRY_UPDATE_SCREENSHOT=1 each page's phone screenshot goes to
docs/screenshots/coordinator-*.png (the README's); otherwise none is written, so that a test run
does not change a tracked file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from registry.demo.network import TRAINING
from registry.domain.values import LOCAL_ZONE
from tests.browser import PHONE, SCREENSHOTS, chromium, follow, needs_browser, sign_in
from tests.browser import assert_fits as fits
from tests.demo_fixture import Demo, DemoTemplate, demo_database
from tests.helpers import uvicorn_registry

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = needs_browser


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_browser_coordinator")


@pytest.fixture(scope="module")
def served(demo: Demo) -> Iterator[str]:
    with uvicorn_registry(demo.dsn) as base:
        yield base


def assert_fits(page: Page) -> None:
    """The phone check, and the page's screenshot when asked for."""
    fits(page)
    if os.environ.get("REGISTRY_UPDATE_SCREENSHOT") == "1":
        name = page.url.split("/pages/", 1)[1].split("?")[0]
        name = "-".join(part if len(part) < 36 else "plan" for part in name.split("/"))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"coordinator-{name}.png"), full_page=True)


def _local(moment: object) -> str:
    from datetime import datetime

    assert isinstance(moment, datetime)
    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")


def test_a_coordinator_runs_a_plan_from_draft_to_report_on_a_phone(served: str, demo: Demo) -> None:
    with chromium() as browser:
        page = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()
        sign_in(page, served, demo.coordinator)
        assert page.url.endswith("/pages/plans")
        assert_fits(page)

        # A liaison's token first: its answer (the secret, the QR code) fits the phone too.
        follow(page, "#tokens")
        assert_fits(page)
        page.select_option("#f-unit_id", label="上海和平眼科医院")
        page.fill("#f-label", "王医生的手机")
        follow(page, "button#issue")
        assert page.locator("svg.qr").count() == 1 and "只显示这一次" in page.content()
        assert_fits(page)
        page.goto(f"{served}/pages/plans")

        follow(page, "#new-plan")
        assert_fits(page)
        page.fill("#f-title", "青年社工实务工作坊")
        page.fill("#f-venue", "欧阳路街道社区党群服务中心")
        page.fill("#f-area", TRAINING.area)
        # The training's window: the demo's offers are available then.
        page.fill("#f-starts_at", _local(TRAINING.starts_at))
        page.fill("#f-ends_at", _local(TRAINING.ends_at))
        page.fill("#f-expected_attendance", "40")
        follow(page, "button#draft")
        assert "青年社工实务工作坊" in page.content() and "草稿" in page.content()
        assert_fits(page)

        for category, quantity, measure in (("training.lecture", "1", "sessions"),
                                            ("volunteers.event-support", "2", "people")):  # fmt: skip
            follow(page, "a#add-slot")
            assert_fits(page)
            page.select_option("#f-category", category)
            page.fill("#f-quantity", quantity)
            page.select_option("#f-measure", measure)
            follow(page, "button#add-slot")
            assert_fits(page)
        assert page.locator("section.slot").count() == 2
        assert "讲座" in page.locator("section.slot").first.inner_text()

        follow(page, "#publish")
        assert "已发布" in page.content()
        assert_fits(page)

        follow(page, "#allocate")
        assert "智能派单试算" in page.content()
        assigned = page.locator("li.assignment").count()
        assert assigned >= 1
        assert_fits(page)
        follow(page, "#dispatch-allocation")
        assert "已承接 1 / 需 1" in page.locator("section.slot").first.inner_text()
        assert_fits(page)

        follow(page, "a#complete")
        assert_fits(page)
        page.fill("#f-notes", "活动顺利，未到场的派单一并释放")
        page.check("#f-release_open")
        follow(page, "button#complete")
        assert page.url.endswith("/report") and "活动成效报告" in page.content()
        assert "讲座" in page.content()
        assert_fits(page)
