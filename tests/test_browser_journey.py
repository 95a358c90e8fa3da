"""The whole cycle in Chromium, every step through the pages' forms, both people on a 390 × 844 phone:

1. a unit's liaison submits an offer with a weekly window (亲子阅读, a category no demo unit offers,
   so the solver has one candidate) and raises a need of the unit's own;
2. the coordinator drafts a plan in that window, adds two slots, publishes it, looks at the
   allocation's dry run and dispatches it;
3. the liaison finds the dispatch in the inbox, accepts it and records what was delivered;
4. the coordinator completes the plan and reads its report, which names the unit and its figures.

Every page either of them visits is checked for sideways scroll (`assert_fits`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from registry.demo.network import TRAINING
from registry.domain.values import LOCAL_ZONE
from tests.browser import PHONE, assert_fits, chromium, needs_browser, sign_in
from tests.browser import follow as follow_link
from tests.demo_fixture import Demo, DemoTemplate, demo_database
from tests.helpers import uvicorn_registry
from tests.served_clock import FACTORY, NOW_FILE

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = needs_browser
OFFER = "亲子阅读分享会（每周）"


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_browser_journey")


@pytest.fixture(scope="module")
def now_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The served registry's "now": empty for the wall clock, else the time written in it."""
    path = tmp_path_factory.mktemp("clock") / "now"
    path.write_text("")
    return path


@pytest.fixture(scope="module")
def served(demo: Demo, now_file: Path) -> Iterator[str]:
    with uvicorn_registry(demo.dsn, factory=FACTORY, env={NOW_FILE: str(now_file)}) as base:
        yield base


def follow(page: Page, target: str | Locator) -> None:
    """Click what leads to another page and wait for it; then the phone check."""
    follow_link(page, target)
    assert_fits(page)


def visit(page: Page, url: str) -> None:
    page.goto(url)
    assert_fits(page)


def test_offer_plan_allocate_accept_fulfil_complete_and_report_on_phones(
    served: str, demo: Demo, now_file: Path
) -> None:
    today = datetime.now(LOCAL_ZONE).date()
    # Ten days on, 10:00–11:30 in Shanghai: inside the offer's weekly window whatever today is.
    day = datetime.now(LOCAL_ZONE).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=10)
    starts, ends = day.replace(hour=10), day.replace(hour=11, minute=30)
    with chromium() as browser:
        liaison = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()
        coordinator = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()

        # 1. The liaison's offer, with a weekly window every day 09:00–18:00 for two months.
        sign_in(liaison, served, demo.liaison)
        assert_fits(liaison)
        visit(liaison, f"{served}/pages/offers/new")
        liaison.select_option("select[name=category]", "culture.reading")
        liaison.fill("input[name=title]", OFFER)
        liaison.fill("input[name='capacity.quantity']", "30")
        for weekday in range(1, 8):
            liaison.check(f"input[name='availability[3].weekdays.{weekday}']")
        liaison.fill("input[name='availability[3].start_time']", "09:00")
        liaison.fill("input[name='availability[3].end_time']", "18:00")
        liaison.fill("input[name='availability[3].from_date']", today.isoformat())
        liaison.fill("input[name='availability[3].to_date']", (today + timedelta(days=60)).isoformat())
        follow(liaison, "form.offer-form button.primary")
        assert OFFER in liaison.content() and "09:00–18:00" in liaison.content()

        # … and a need of its own.
        visit(liaison, f"{served}/pages/needs/new")
        liaison.select_option("select[name=category]", "volunteers.elderly-care")
        liaison.fill("input[name=title]", "独居老人探访志愿者")
        liaison.fill("input[name=quantity]", "2")
        liaison.fill("input[name=starts_at]", (day + timedelta(days=1)).strftime("%Y-%m-%dT14:00"))
        liaison.fill("input[name=ends_at]", (day + timedelta(days=1)).strftime("%Y-%m-%dT16:00"))
        follow(liaison, "form.need-form button.primary")
        assert "独居老人探访志愿者" in liaison.content() and "待满足" in liaison.content()

        # 2. The coordinator drafts the plan, adds two slots, publishes and allocates.
        sign_in(coordinator, served, demo.coordinator)
        assert_fits(coordinator)
        follow(coordinator, "#new-plan")
        coordinator.fill("#f-title", "社区亲子阅读日")
        coordinator.fill("#f-venue", "欧阳路街道社区党群服务中心")
        coordinator.fill("#f-area", TRAINING.area)
        coordinator.fill("#f-starts_at", starts.strftime("%Y-%m-%dT%H:%M"))
        coordinator.fill("#f-ends_at", ends.strftime("%Y-%m-%dT%H:%M"))
        coordinator.fill("#f-expected_attendance", "40")
        follow(coordinator, "button#draft")
        for category, quantity in (("culture.reading", "1"), ("volunteers.event-support", "2")):
            follow(coordinator, "a#add-slot")
            coordinator.select_option("#f-category", category)
            coordinator.fill("#f-quantity", quantity)
            follow(coordinator, "button#add-slot")
        slots = coordinator.locator("section.slot")
        assert slots.count() == 2 and "阅读" in slots.first.inner_text()
        assert "culture.reading" not in slots.first.inner_text(), "a category shows by its label"
        follow(coordinator, "#publish")
        assert "已发布" in coordinator.content()
        follow(coordinator, "#allocate")
        reading = coordinator.locator("li.assignment", has_text=OFFER)
        assert reading.count() == 1 and demo.unit_name in reading.inner_text(), "the dry run shows it"
        follow(coordinator, "#dispatch-allocation")
        assert "已承接 1 / 需 1" in coordinator.locator("section.slot").first.inner_text()
        plan_url = coordinator.url.split("?")[0]

        # 3. The liaison accepts the dispatch on the phone and records what was delivered.
        visit(liaison, f"{served}/pages/inbox")
        dispatch = liaison.locator("li.item", has_text=OFFER)
        assert dispatch.count() == 1 and "待接单" in dispatch.inner_text()
        follow(liaison, dispatch.locator("form[action$='/accept'] button"))
        accepted = liaison.locator("li.item", has_text=OFFER)
        assert "已接单" in accepted.inner_text()
        # The reading hour has come and gone (the served clock moves; nothing else does).
        now_file.write_text((ends + timedelta(minutes=30)).isoformat())
        accepted.locator("input[name=people_served]").fill("25")
        accepted.locator("input[name=volunteer_hours]").fill("1.5")
        follow(liaison, accepted.locator("form[action$='/fulfil'] button"))
        assert liaison.url.endswith("/pages/inbox"), liaison.locator("main").inner_text()
        assert liaison.locator("li.item", has_text=OFFER).count() == 0, "nothing left to record"

        # 4. The coordinator completes the plan and reads the report.
        visit(coordinator, plan_url)
        follow(coordinator, "a#complete")
        coordinator.fill("#f-notes", "亲子阅读日圆满结束")
        coordinator.check("#f-release_open")
        follow(coordinator, "button#complete")
        assert coordinator.url.endswith("/report") and "活动成效报告" in coordinator.content()
        report = coordinator.locator("main").inner_text()
        assert demo.unit_name in report, report
        assert coordinator.locator("#people-served").inner_text() == "25"
        assert coordinator.locator("#volunteer-hours").inner_text() == "1.5"
        assert coordinator.locator("#outcome-notes").inner_text() == "亲子阅读日圆满结束"
