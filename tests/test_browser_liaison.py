"""In a real browser at 390 × 844, through the forms only: a liaison submits an offer with a weekly
window, raises a need, claims an open slot with that offer (offered because it fits, with why), and
accepts a dispatch in the inbox; every page the liaison visits fits the phone's width.

The plan whose slot is claimed is set up by the service (drafting plans is the coordinator's pages);
the dispatch is made by a coordinator through the board's form, at desktop width."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import msgspec
import pytest

from registry.app import open_registry
from registry.domain import plan
from registry.domain.values import LOCAL_ZONE
from registry.service import commands
from registry.settings import Settings
from tests.api_fixtures import CLI
from tests.browser import DESKTOP, PHONE, assert_fits, chromium, follow, needs_browser, sign_in
from tests.demo_fixture import TRAINING_ID, Demo, DemoTemplate, demo_database
from tests.helpers import uvicorn_registry

pytestmark = needs_browser


class Staged(msgspec.Struct, kw_only=True):
    demo: Demo
    slot_id: uuid.UUID
    day: datetime


async def _stage(demo: Demo) -> Staged:
    """A published plan with a health-consultation slot ten days on, 10:00–11:00 in Shanghai."""
    registry = await open_registry(Settings(database_url=demo.dsn, pool_min_size=1, pool_max_size=2))
    try:
        day = (datetime.now(LOCAL_ZONE) + timedelta(days=10)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        plan_id, slot_id = uuid.uuid4(), uuid.uuid4()
        draft = plan.DraftPlan(
            plan_id=plan_id, title="社区健康日", venue="欧阳路社区广场", area="虹口区/欧阳路街道",
            starts_at=day.replace(hour=10), ends_at=day.replace(hour=11),
        )  # fmt: skip
        await commands.change_plan(registry, CLI, draft, creates=True)
        slot = plan.AddSlot(plan_id=plan_id, slot_id=slot_id, category="medical.consultation", quantity=2)
        await commands.change_plan(registry, CLI, slot)
        await commands.change_plan(registry, CLI, plan.PublishPlan(plan_id=plan_id))
        return Staged(demo=demo, slot_id=slot_id, day=day)
    finally:
        await registry.close()


@pytest.fixture(scope="module")
def staged(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Staged]:
    for demo in demo_database(server_dsn, demo_template, f"{run_prefix}_browser_liaison"):
        yield asyncio.run(_stage(demo))


@pytest.fixture(scope="module")
def served(staged: Staged) -> Iterator[str]:
    with uvicorn_registry(staged.demo.dsn) as base:
        yield base


def test_a_liaison_offers_raises_claims_and_accepts_on_a_phone(served: str, staged: Staged) -> None:
    demo, day = staged.demo, staged.day
    today = datetime.now(LOCAL_ZONE).date()
    with chromium() as browser:
        phone = browser.new_context(locale="zh-CN", viewport=PHONE).new_page()
        sign_in(phone, served, demo.liaison)
        assert_fits(phone)

        # An offer with a weekly window: every day 08:00–20:00 for the next two months.
        phone.goto(f"{served}/pages/offers")
        assert_fits(phone)
        follow(phone, "a.button.primary[href$='/offers/new']")
        assert_fits(phone)
        phone.select_option("select[name=category]", "medical.consultation")
        phone.fill("input[name=title]", "社区健康咨询（每日）")
        phone.fill("input[name='capacity.quantity']", "3")
        for weekday in range(1, 8):
            phone.check(f"input[name='availability[3].weekdays.{weekday}']")
        phone.fill("input[name='availability[3].start_time']", "08:00")
        phone.fill("input[name='availability[3].end_time']", "20:00")
        phone.fill("input[name='availability[3].from_date']", today.isoformat())
        phone.fill("input[name='availability[3].to_date']", (today + timedelta(days=60)).isoformat())
        follow(phone, "form.offer-form button.primary")
        assert "社区健康咨询（每日）" in phone.content() and "08:00–20:00" in phone.content()
        assert_fits(phone)

        # A need.
        phone.goto(f"{served}/pages/needs")
        assert_fits(phone)
        follow(phone, "a.button.primary[href$='/needs/new']")
        assert_fits(phone)
        phone.select_option("select[name=category]", "volunteers.elderly-care")
        phone.fill("input[name=title]", "独居老人探访")
        phone.fill("input[name=quantity]", "2")
        phone.fill("input[name=starts_at]", (day + timedelta(days=1)).strftime("%Y-%m-%dT14:00"))
        phone.fill("input[name=ends_at]", (day + timedelta(days=1)).strftime("%Y-%m-%dT16:00"))
        follow(phone, "form.need-form button.primary")
        assert "独居老人探访" in phone.content() and "待满足" in phone.content()
        assert_fits(phone)

        # The slot is offered with the new offer, and why it fits; claimed with it.
        phone.goto(f"{served}/pages/inbox")
        assert_fits(phone)
        card = phone.locator(f"li.card.claim[data-slot='{staged.slot_id}']")
        fit = card.locator("label.fit", has_text="社区健康咨询（每日）")
        assert "类别相符 · 时间全覆盖 · 剩余 3 人" in fit.inner_text()
        fit.locator("input[type=radio]").check()
        card.locator("input[name=quantity]").fill("2")
        follow(phone, card.locator("button.primary"))
        assert phone.locator(f"li.card.claim[data-slot='{staged.slot_id}']").count() == 0, (
            "the slot is covered"
        )
        assert_fits(phone)

        # A coordinator dispatches the training's lecture to the liaison's offer, on the board.
        desk = browser.new_context(locale="zh-CN", viewport=DESKTOP).new_page()
        sign_in(desk, served, demo.coordinator)
        desk.goto(f"{served}/pages/plans/{TRAINING_ID}")
        dispatch = desk.locator("tr", has_text=demo.offer_title).locator("form[action$='/dispatch'] button")
        follow(desk, dispatch.first)

        # The liaison accepts it in the inbox.
        phone.goto(f"{served}/pages/inbox")
        assert_fits(phone)
        follow(phone, "li.item form[action$='/accept'] button")
        assert "已接单" in phone.content() and "登记成效" in phone.content()
        assert_fits(phone)
