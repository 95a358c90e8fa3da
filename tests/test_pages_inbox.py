"""The inbox's claiming under the test client: open slots of published plans and open needs of
other units, each offered only with the unit's offers that fit (category, the whole window, the
measure, what is left), each with why; a refused claim shown in its own form in the page's language."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from registry.app import create_app, open_registry
from registry.domain import need, offer, plan
from registry.domain.values import LOCAL_ZONE, Capacity, Measure, OneOffWindow, Role
from registry.edge.language import localize
from registry.matching.config import MatchConfig
from registry.read.board import read_plan_board
from registry.read.queries import CommitmentFilter, UnitFilter, list_commitments, list_units
from registry.service import commands
from registry.service.context import Actor, Command
from registry.service.execute import Registry
from registry.settings import Settings
from tests.api_fixtures import CLI
from tests.clock import ManualClock
from tests.demo_fixture import TRAINING_ID, Demo, DemoTemplate, demo_database
from tests.test_pages import Client, csrf_of, sign_in
from tests.test_pages_offers import to_english


class Scene(msgspec.Struct, kw_only=True):
    demo: Demo
    fits: uuid.UUID  # eye screening, 2 people, free the whole window
    other_category: uuid.UUID  # umbrella repair, free the whole window
    other_time: uuid.UUID  # eye screening, free only the day before
    plan_id: uuid.UUID
    slot_id: uuid.UUID  # eye screening, 10 people
    need_id: uuid.UUID  # another unit's: medical (the parent), 3 people


def _window(day: datetime, start: int, end: int) -> OneOffWindow:
    return OneOffWindow(starts_at=day.replace(hour=start), ends_at=day.replace(hour=end))


async def _stage(demo: Demo) -> Scene:
    registry = await open_registry(Settings(database_url=demo.dsn, pool_min_size=1, pool_max_size=2))
    try:
        # The liaison's unit: the one its token names.
        me = await _unit_of_liaison(registry)
        units = await list_units(registry.list_pool, UnitFilter(), None, 0, 100)
        other_unit = next(u for u in (msgspec.json.decode(d)["id"] for d in units.docs) if uuid.UUID(u) != me)
        day = (datetime.now(LOCAL_ZONE) + timedelta(days=20)).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        ids = [uuid.uuid4() for _ in range(3)]
        liaison = Command(actor=Actor(subject="test:liaison", role=Role.LIAISON, unit_id=me))
        for offer_id, category, window in (
            (ids[0], "medical.eye-screening", _window(day, 8, 18)),
            (ids[1], "repair.umbrella", _window(day, 8, 18)),
            (ids[2], "medical.eye-screening", _window(day - timedelta(days=1), 8, 18)),
        ):
            await commands.submit_offer(
                registry, liaison, offer.SubmitOffer(
                    offer_id=offer_id, unit_id=me, category=category, title=f"测试资源 {category}",
                    capacity=Capacity(quantity=2 if offer_id == ids[0] else 5, measure=Measure.PEOPLE),
                    availability=[window],
                ),
            )  # fmt: skip
        plan_id, slot_id = uuid.uuid4(), uuid.uuid4()
        draft = plan.DraftPlan(
            plan_id=plan_id, title="认领测试活动", venue="社区广场", area="虹口区/欧阳路街道",
            starts_at=day.replace(hour=9), ends_at=day.replace(hour=12),
        )  # fmt: skip
        await commands.change_plan(registry, CLI, draft, creates=True)
        slot = plan.AddSlot(plan_id=plan_id, slot_id=slot_id, category="medical.eye-screening", quantity=10)
        await commands.change_plan(registry, CLI, slot)
        await commands.change_plan(registry, CLI, plan.PublishPlan(plan_id=plan_id))
        need_id = uuid.uuid4()
        raised = need.RaiseNeed(
            need_id=need_id, unit_id=uuid.UUID(other_unit), category="medical", title="居民健康筛查",
            quantity=3, starts_at=day.replace(hour=14), ends_at=day.replace(hour=16),
        )  # fmt: skip
        await commands.raise_need(registry, CLI, raised)
        return Scene(
            demo=demo, fits=ids[0], other_category=ids[1], other_time=ids[2], plan_id=plan_id,
            slot_id=slot_id, need_id=need_id,
        )  # fmt: skip
    finally:
        await registry.close()


async def _unit_of_liaison(registry: Registry) -> uuid.UUID:
    """The unit the demo's liaison token is for: the training's best candidate's (as it was made)."""
    _, board = await read_plan_board(registry.list_pool, TRAINING_ID, None, MatchConfig())
    return board.demands[0].candidates[0].offer.unit_id


@pytest.fixture(scope="module")
def scene(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Scene]:
    for demo in demo_database(server_dsn, demo_template, f"{run_prefix}_pages_inbox"):
        yield asyncio.run(_stage(demo))


@pytest.fixture
async def client(scene: Scene) -> AsyncIterator[Client]:
    settings = Settings(database_url=scene.demo.dsn, clock=ManualClock())
    async with AsyncTestClient(create_app(settings)) as client:
        client.follow_redirects = False
        yield client


def card(html: str, attribute: str, entity_id: uuid.UUID) -> str:
    found = re.search(rf'<li class="card claim" {attribute}="{entity_id}">(.*?)</li>', html, re.DOTALL)
    assert found, f"no card for {attribute} {entity_id}"
    return found.group(1)


async def test_a_slot_is_offered_only_with_the_offers_that_fit_and_why(client: Client, scene: Scene) -> None:
    await sign_in(client, scene.demo.liaison)
    inbox = await client.get("/pages/inbox")
    assert inbox.status_code == 200
    slot = card(inbox.text, "data-slot", scene.slot_id)
    assert f'value="{scene.fits}"' in slot
    assert f'value="{scene.other_category}"' not in slot, "an offer of another category"
    assert f'value="{scene.other_time}"' not in slot, "an offer not free the whole window"
    assert "类别相符 · 时间全覆盖 · 剩余 2 人" in slot
    assert 'title="medical.eye-screening">眼科筛查<' in slot and "还缺 10 人" in slot
    # Quantity offered: no more than the offer has left.
    assert 'name="quantity" min="1" inputmode="numeric" value="2"' in slot


async def test_another_units_open_need_is_offered_with_a_fitting_offer(client: Client, scene: Scene) -> None:
    await sign_in(client, scene.demo.liaison)
    await to_english(client)
    inbox = await client.get("/pages/inbox")
    need_card = card(inbox.text, "data-need", scene.need_id)
    assert f'value="{scene.fits}"' in need_card and f'value="{scene.other_category}"' not in need_card
    assert "within Medical and health · available the whole time · 2 people left" in need_card


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_claiming_more_than_the_offer_has_left_is_refused_in_the_form(
    client: Client, scene: Scene, lang: str
) -> None:
    await sign_in(client, scene.demo.liaison)
    if lang == "en":
        await to_english(client)
    inbox = await client.get("/pages/inbox")
    form = {"_csrf_token": csrf_of(inbox.text), "plan_id": str(scene.plan_id), "slot_id": str(scene.slot_id),
            "offer_id": str(scene.fits), "quantity": "5"}  # fmt: skip
    refused = await client.post("/pages/inbox/claim", data=form)
    assert refused.status_code == 409
    slot = card(refused.text, "data-slot", scene.slot_id)
    # The domain's message, told in the page's language by the edge's catalogue.
    told = localize("the offer has 2 left in that window; 5 asked", "en" if lang == "en" else "zh")
    assert f'<p class="error" role="alert">{told}</p>' in slot
    assert 'value="5"' in slot, "the quantity typed is kept"
    # Only the refused claim's form shows it.
    assert 'role="alert"' not in card(refused.text, "data-need", scene.need_id)
    assert ("可认领的岗位与需求" if lang == "zh" else "Slots and needs to claim") in refused.text
    bad = await client.post("/pages/inbox/claim", data={**form, "quantity": "many"})
    assert bad.status_code == 422 and "field-error" in card(bad.text, "data-slot", scene.slot_id)


async def test_a_claim_without_its_csrf_token_is_refused(client: Client, scene: Scene) -> None:
    await sign_in(client, scene.demo.liaison)
    form = {"need_id": str(scene.need_id), "offer_id": str(scene.fits), "quantity": "1"}
    assert (await client.post("/pages/inbox/claim", data=form)).status_code == 403


async def test_claiming_an_open_need(client: Client, scene: Scene) -> None:
    await sign_in(client, scene.demo.liaison)
    inbox = await client.get("/pages/inbox")
    form = {"_csrf_token": csrf_of(inbox.text), "need_id": str(scene.need_id), "offer_id": str(scene.fits),
            "quantity": "1"}  # fmt: skip
    claimed = await client.post("/pages/inbox/claim", data=form)
    assert claimed.status_code == 303 and claimed.headers["location"] == "/pages/inbox"
    registry = await open_registry(Settings(database_url=scene.demo.dsn, pool_min_size=1, pool_max_size=2))
    try:
        found = await list_commitments(
            registry.list_pool, CommitmentFilter(need_id=scene.need_id), None, 0, 10
        )
    finally:
        await registry.close()
    (doc,) = found.docs
    commitment = msgspec.json.decode(doc)
    assert commitment["status"] == "claimed" and commitment["offer_id"] == str(scene.fits)
    after = await client.get("/pages/inbox")
    # Capacity is held per window: the need's afternoon has 1 left, the slot's morning still 2.
    need_card = card(after.text, "data-need", scene.need_id)
    assert "还缺 2 人" in need_card and "剩余 1 人" in need_card
    assert "剩余 2 人" in card(after.text, "data-slot", scene.slot_id)


async def test_an_offer_with_nothing_left_in_the_window_is_not_offered(client: Client, scene: Scene) -> None:
    await sign_in(client, scene.demo.liaison)
    inbox = await client.get("/pages/inbox")
    left = re.search(r"剩余 (\d+) 人", card(inbox.text, "data-need", scene.need_id))
    assert left, "the need is offered with the fitting offer"
    form = {"_csrf_token": csrf_of(inbox.text), "need_id": str(scene.need_id), "offer_id": str(scene.fits),
            "quantity": left.group(1)}  # fmt: skip
    assert (await client.post("/pages/inbox/claim", data=form)).status_code == 303
    after = await client.get("/pages/inbox")
    # The offer's afternoon is all held now: the need (still short) has no fitting offer of the unit.
    assert f'data-need="{scene.need_id}"' not in after.text
    assert "本单位暂无合适的资源" in after.text
    assert f'data-slot="{scene.slot_id}"' in after.text, "the morning is still free"
