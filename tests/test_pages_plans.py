"""The coordinator's plan pages under the test client, on the Ouyang Road demo: the list searched,
filtered and paged; a plan drafted, its slots added, published, allocated (the dry run first,
dispatching nothing), a unit's claim confirmed, completed and reported, or cancelled — each
through its form, read back through the read model; refused forms with the error beside its
field in either language and what was typed kept."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from registry.app import create_app, open_registry
from registry.demo.load import FAIR_ID, demo_id
from registry.demo.network import TRAINING
from registry.domain import plan
from registry.domain.values import LOCAL_ZONE
from registry.matching.config import MatchConfig
from registry.pages import plans as plans_page
from registry.read.board import read_plan_board
from registry.read.queries import CommitmentFilter, get_doc, list_commitments
from registry.read.views import CommitmentView, PlanView
from registry.service import commands
from registry.settings import Settings
from tests.api_fixtures import CLI
from tests.demo_fixture import TRAINING_ID, Demo, DemoTemplate, demo_database
from tests.test_pages import Client, csrf_of, sign_in

_plan = msgspec.json.Decoder(PlanView)
_commitment = msgspec.json.Decoder(CommitmentView)
LECTURE_ID = demo_id("slot", f"{TRAINING.key}/lecture")


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_pages_plans")


@pytest.fixture
async def client(demo: Demo) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(Settings(database_url=demo.dsn))) as client:
        client.follow_redirects = False
        yield client


def local(moment: datetime) -> str:
    """A moment as a `datetime-local` input holds it (Asia/Shanghai, to the minute)."""
    return moment.astimezone(LOCAL_ZONE).strftime("%Y-%m-%dT%H:%M")


async def read_plan(dsn: str, plan_id: uuid.UUID) -> PlanView:
    registry = await open_registry(Settings(database_url=dsn, pool_min_size=1, pool_max_size=2))
    try:
        doc = await get_doc(registry.list_pool, "plans", plan_id, None)
        assert doc is not None, f"plan {plan_id} is not in the read model"
        return _plan.decode(doc.json)
    finally:
        await registry.close()


async def commitments_of(dsn: str, plan_id: uuid.UUID) -> list[CommitmentView]:
    registry = await open_registry(Settings(database_url=dsn, pool_min_size=1, pool_max_size=2))
    try:
        found = await list_commitments(registry.list_pool, CommitmentFilter(plan_id=plan_id), None, 0, 100)
        return [_commitment.decode(doc) for doc in found.docs]
    finally:
        await registry.close()


async def best_offer(dsn: str) -> uuid.UUID:
    """The training lecture's best candidate offer (the demo's liaison's unit's)."""
    registry = await open_registry(Settings(database_url=dsn, pool_min_size=1, pool_max_size=2))
    try:
        _, board = await read_plan_board(registry.list_pool, TRAINING_ID, None, MatchConfig())
        return board.demands[0].candidates[0].offer.offer_id
    finally:
        await registry.close()


def plan_form(**changed: str) -> dict[str, str]:
    # The training's own window: the demo's offers are available then.
    fields = {
        "title": "青年社工实务工作坊", "venue": "欧阳路街道社区党群服务中心", "area": TRAINING.area,
        "starts_at": local(TRAINING.starts_at), "ends_at": local(TRAINING.ends_at),
        "expected_attendance": "40",
    }  # fmt: skip
    return fields | changed


async def draft(client: Client, **changed: str) -> uuid.UUID:
    form = await client.get("/pages/plans/new")
    answer = await client.post(
        "/pages/plans/new", data=plan_form(**changed) | {"_csrf_token": csrf_of(form.text)}
    )
    assert answer.status_code == 303, answer.text
    found = re.fullmatch(r"/pages/plans/([0-9a-f-]{36})", answer.headers["location"])
    assert found, answer.headers["location"]
    return uuid.UUID(found.group(1))


async def add_slot(client: Client, plan_id: uuid.UUID, **fields: str) -> int:
    form = await client.get(f"/pages/plans/{plan_id}/slots/new")
    answer = await client.post(
        f"/pages/plans/{plan_id}/slots/new", data={**fields, "_csrf_token": csrf_of(form.text)}
    )
    return answer.status_code


# -- the list ------------------------------------------------------------------------------------


async def test_the_plans_list_is_searched_and_filtered_by_status_and_category(
    client: Client, demo: Demo
) -> None:
    await sign_in(client, demo.coordinator)
    everything = (await client.get("/pages/plans")).text
    assert TRAINING.title in everything and "先锋上海" in everything
    searched = (await client.get("/pages/plans", params={"q": "青年干部"})).text
    assert TRAINING.title in searched and "先锋上海" not in searched
    by_venue = (await client.get("/pages/plans", params={"q": "党群服务中心"})).text
    assert TRAINING.title in by_venue
    completed = (await client.get("/pages/plans", params={"status": "completed"})).text
    assert "先锋上海" in completed and TRAINING.title not in completed
    # A parent category matches its children: the training's slot is training.lecture.
    training = (await client.get("/pages/plans", params={"category": "training"})).text
    assert TRAINING.title in training and "先锋上海" not in training
    assert 'value="training" selected' in training and "培训讲座" in training
    # What cannot be a filter is not one (never a 500).
    odd = await client.get("/pages/plans", params={"status": "bogus", "category": "x'--", "after": "-1"})
    assert odd.status_code == 200 and TRAINING.title in odd.text


async def test_the_plans_list_pages_on_with_a_more_link(
    client: Client, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plans_page, "PAGE_SIZE", 1)
    await sign_in(client, demo.coordinator)
    first = (await client.get("/pages/plans")).text
    more = re.search(r'rel="next" href="([^"]+)"', first)
    assert more, "no link to the next page"
    second = (await client.get(more.group(1).replace("&amp;", "&"))).text
    titles = re.compile(r'<h2><a href="/pages/plans/([0-9a-f-]+)')
    assert titles.findall(first) and titles.findall(second)
    assert set(titles.findall(first)).isdisjoint(titles.findall(second))


# -- drafting ------------------------------------------------------------------------------------


async def test_a_plan_drafted_through_the_form_is_in_the_read_model(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    plan_id = await draft(client, title="居民议事会 <b>秋季</b>")
    drafted = await read_plan(demo.dsn, plan_id)
    assert drafted.title == "居民议事会 <b>秋季</b>" and drafted.status == "draft"
    assert drafted.starts_at == TRAINING.starts_at and drafted.expected_attendance == 40
    board = await client.get(f"/pages/plans/{plan_id}")
    assert "居民议事会 &lt;b&gt;秋季&lt;/b&gt;" in board.text and 'id="publish"' in board.text


@pytest.mark.parametrize(("lang", "label"), [("zh", "结束时间"), ("en", "Ends")])
async def test_a_window_ending_before_it_starts_is_told_beside_the_field_with_what_was_typed(
    client: Client, demo: Demo, lang: str, label: str
) -> None:
    await sign_in(client, demo.coordinator)
    await client.get(f"/pages/lang?to={lang}")
    form = await client.get("/pages/plans/new")
    ends = local(TRAINING.starts_at - timedelta(hours=1))
    typed = plan_form(title="倒着的时间", ends_at=ends)
    refused = await client.post("/pages/plans/new", data=typed | {"_csrf_token": csrf_of(form.text)})
    assert refused.status_code == 422
    field = r'<label for="f-ends_at">([^<]+)</label>.*?<p class="field-error" id="e-ends_at">([^<]+)</p>'
    beside = re.search(field, refused.text, re.S)
    assert beside and beside.group(1) == label and "starts_at" in beside.group(2)
    assert f'value="{ends}"' in refused.text and 'value="倒着的时间"' in refused.text
    assert 'id="e-title"' not in refused.text


async def test_a_time_that_is_not_one_is_told_beside_its_field(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    form = await client.get("/pages/plans/new")
    typed = plan_form(starts_at="明天下午", expected_attendance="很多")
    refused = await client.post("/pages/plans/new", data=typed | {"_csrf_token": csrf_of(form.text)})
    assert refused.status_code == 422
    assert 'id="e-starts_at"' in refused.text and 'id="e-expected_attendance"' in refused.text
    assert 'value="明天下午"' in refused.text


async def test_a_form_without_its_csrf_token_gets_the_403_page(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    refused = await client.post("/pages/plans/new", data=plan_form())
    assert refused.status_code == 403 and "表单已过期" in refused.text
    revoked = await client.post(f"/pages/plans/{TRAINING_ID}/cancel", data={"reason": "x"})
    assert revoked.status_code == 403
    assert (await read_plan(demo.dsn, TRAINING_ID)).status == "published"


# -- slots ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "label"), [("zh", "需求数量"), ("en", "Quantity")])
async def test_a_slot_of_quantity_zero_is_refused_beside_the_field(
    client: Client, demo: Demo, lang: str, label: str
) -> None:
    await sign_in(client, demo.coordinator)
    await client.get(f"/pages/lang?to={lang}")
    plan_id = await draft(client)
    form = await client.get(f"/pages/plans/{plan_id}/slots/new")
    lecture = {"zh": "讲座", "en": "Lecture"}[lang]
    assert re.search(rf'<option value="training.lecture">\W*{lecture}</option>', form.text)
    refused = await client.post(
        f"/pages/plans/{plan_id}/slots/new",
        data={"category": "training.lecture", "quantity": "0", "measure": "sessions", "notes": "保留的备注",
              "_csrf_token": csrf_of(form.text)},
    )  # fmt: skip
    assert refused.status_code == 422
    beside = re.search(
        r'<label for="f-quantity">([^<]+)</label>.*?id="e-quantity">([^<]+)<', refused.text, re.S
    )
    assert beside and beside.group(1) == label
    assert "保留的备注" in refused.text and '<option value="training.lecture" selected>' in refused.text
    assert (await read_plan(demo.dsn, plan_id)).slots == []


async def test_a_slot_outside_its_plan_is_refused_and_nothing_added(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    plan_id = await draft(client)
    late = local(TRAINING.ends_at + timedelta(hours=3))
    status = await add_slot(
        client, plan_id, category="training.lecture", quantity="1", measure="sessions",
        starts_at=local(TRAINING.starts_at), ends_at=late,
    )  # fmt: skip
    assert status == 409
    assert (await read_plan(demo.dsn, plan_id)).slots == []


# -- the whole life of a plan --------------------------------------------------------------------


async def test_a_plan_is_given_slots_published_allocated_completed_and_reported(
    client: Client, demo: Demo
) -> None:
    await sign_in(client, demo.coordinator)
    plan_id = await draft(client)
    assert (
        await add_slot(client, plan_id, category="training.lecture", quantity="1", measure="sessions") == 303
    )
    second = await add_slot(
        client, plan_id, category="volunteers.event-support", quantity="2", measure="people",
        starts_at=local(TRAINING.starts_at), ends_at=local(TRAINING.starts_at + timedelta(hours=1)),
        notes="签到引导",
    )  # fmt: skip
    assert second == 303
    slots = (await read_plan(demo.dsn, plan_id)).slots
    assert [(s.category, s.quantity, s.measure.value) for s in slots] == [
        ("training.lecture", 1, "sessions"), ("volunteers.event-support", 2, "people"),
    ]  # fmt: skip
    assert slots[1].ends_at == TRAINING.starts_at + timedelta(hours=1)
    board = await client.get(f"/pages/plans/{plan_id}")
    assert 'title="training.lecture">讲座' in board.text and "活动保障志愿者" in board.text

    published = await client.post(
        f"/pages/plans/{plan_id}/publish", data={"_csrf_token": csrf_of(board.text)}
    )
    assert published.status_code == 303
    assert (await read_plan(demo.dsn, plan_id)).status == "published"

    # The dry run lists the solver's assignments and dispatches nothing.
    dry_run = await client.get(f"/pages/plans/{plan_id}/allocate")
    assert dry_run.status_code == 200 and "智能派单试算" in dry_run.text
    assert dry_run.text.count('class="card assignment"') >= 1
    # Each assignment by the unit's name and the offer's title, not by ids.
    unit = re.search(r"<p>单位：([^<]+)</p>\s*<p>资源：([^<]+)</p>", dry_run.text)
    assert unit and not re.fullmatch(r"[0-9a-f-]{36}", unit.group(1)) and unit.group(2)
    assert await commitments_of(demo.dsn, plan_id) == []
    proposal = re.search(r'name="proposal" value="([0-9a-f]+)"', dry_run.text)
    assert proposal
    # A dispatch of another allocation than the one shown is refused, and the new one shown.
    stale = await client.post(
        f"/pages/plans/{plan_id}/allocate", data={"proposal": "0" * 32, "_csrf_token": csrf_of(dry_run.text)}
    )
    assert stale.status_code == 409 and proposal.group(1) in stale.text
    assert await commitments_of(demo.dsn, plan_id) == []
    dispatched = await client.post(
        f"/pages/plans/{plan_id}/allocate",
        data={"proposal": proposal.group(1), "_csrf_token": csrf_of(dry_run.text)},
    )
    assert dispatched.status_code == 303
    made = await commitments_of(demo.dsn, plan_id)
    assert len(made) == dry_run.text.count('class="card assignment"')
    assert {c.status.value for c in made} == {"proposed"}

    # Completing while dispatches are still open is refused, told above the form.
    form = await client.get(f"/pages/plans/{plan_id}/complete")
    refused = await client.post(
        f"/pages/plans/{plan_id}/complete", data={"notes": "顺利", "_csrf_token": csrf_of(form.text)}
    )
    assert refused.status_code == 409 and "未结束的承诺" in refused.text and "顺利" in refused.text
    done = await client.post(
        f"/pages/plans/{plan_id}/complete",
        data={"notes": "顺利", "release_open": "on", "_csrf_token": csrf_of(form.text)},
    )
    assert done.status_code == 303 and done.headers["location"] == f"/pages/plans/{plan_id}/report"
    completed = await read_plan(demo.dsn, plan_id)
    assert completed.status == "completed" and completed.outcome is not None
    report = await client.get(done.headers["location"])
    assert (
        report.status_code == 200 and "活动成效报告" in report.text and 'id="people-served">0<' in report.text
    )
    assert "讲座" in report.text and "日志位置" in report.text
    assert '<blockquote class="outcome" id="outcome-notes">顺利</blockquote>' in report.text


async def test_the_dry_run_of_a_plan_dispatches_nothing(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    before = await commitments_of(demo.dsn, TRAINING_ID)
    dry_run = await client.get(f"/pages/plans/{TRAINING_ID}/allocate")
    assert dry_run.status_code == 200 and 'id="dispatch-allocation"' in dry_run.text
    assert len(await commitments_of(demo.dsn, TRAINING_ID)) == len(before)


async def test_the_centre_confirms_a_units_claim_on_the_plan_page(client: Client, demo: Demo) -> None:
    offer_id = await best_offer(demo.dsn)
    await sign_in(client, demo.liaison)
    inbox = await client.get("/pages/inbox")
    claimed = await client.post(
        "/pages/inbox/claim",
        data={"offer_id": str(offer_id), "plan_id": str(TRAINING_ID), "slot_id": str(LECTURE_ID),
              "quantity": "1", "_csrf_token": csrf_of(inbox.text)},
    )  # fmt: skip
    assert claimed.status_code == 303, claimed.text
    [claim] = [c for c in await commitments_of(demo.dsn, TRAINING_ID) if c.status.value == "claimed"]
    await sign_in(client, demo.coordinator)
    board = await client.get(f"/pages/plans/{TRAINING_ID}")
    assert "待确认的认领" in board.text and f"/claims/{claim.id}/confirm" in board.text
    confirmed = await client.post(
        f"/pages/plans/{TRAINING_ID}/claims/{claim.id}/confirm", data={"_csrf_token": csrf_of(board.text)}
    )
    assert confirmed.status_code == 303
    [after] = [c for c in await commitments_of(demo.dsn, TRAINING_ID) if c.id == claim.id]
    assert after.status.value == "confirmed"
    assert f"/claims/{claim.id}/confirm" not in (await client.get(f"/pages/plans/{TRAINING_ID}")).text


async def test_a_plan_is_cancelled_with_its_reason(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    plan_id = await draft(client)
    form = await client.get(f"/pages/plans/{plan_id}/cancel")
    assert form.status_code == 200 and "取消原因" in form.text
    cancelled = await client.post(
        f"/pages/plans/{plan_id}/cancel", data={"reason": "场地另有安排", "_csrf_token": csrf_of(form.text)}
    )
    assert cancelled.status_code == 303
    assert (await read_plan(demo.dsn, plan_id)).status == "cancelled"
    # A cancelled plan cannot be published: told in a page, not a 500.
    again = await client.post(f"/pages/plans/{plan_id}/publish", data={"_csrf_token": csrf_of(form.text)})
    assert again.status_code == 409 and "已取消" in again.text


async def test_others_see_the_plans_and_the_report_but_not_the_coordinators_forms(
    client: Client, demo: Demo
) -> None:
    await sign_in(client, demo.auditor)
    listed = await client.get("/pages/plans")
    assert listed.status_code == 200 and 'id="new-plan"' not in listed.text
    board = await client.get(f"/pages/plans/{TRAINING_ID}")
    assert 'id="allocate"' not in board.text and 'id="complete"' not in board.text
    assert (await client.get(f"/pages/plans/{FAIR_ID}/report")).status_code == 200
    assert (await client.get(f"/pages/plans/{TRAINING_ID}/allocate")).status_code == 403


async def test_a_slot_is_edited_and_removed_through_its_form(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    plan_id = await draft(client)
    assert (
        await add_slot(client, plan_id, category="training.lecture", quantity="2", measure="sessions") == 303
    )
    [slot] = (await read_plan(demo.dsn, plan_id)).slots
    board = await client.get(f"/pages/plans/{plan_id}")
    assert f"/slots/{slot.id}/edit" in board.text
    form = await client.get(f"/pages/plans/{plan_id}/slots/{slot.id}/edit")
    assert form.status_code == 200 and 'value="2"' in form.text
    assert '<option value="training.lecture" selected>' in form.text
    assert f'value="{local(TRAINING.starts_at)}"' in form.text
    csrf = {"_csrf_token": csrf_of(form.text)}
    edited = {
        "category": "science.workshop", "quantity": "3", "measure": "sessions", "notes": "改为科普体验",
        "starts_at": local(TRAINING.starts_at), "ends_at": local(TRAINING.starts_at + timedelta(hours=1)),
    }  # fmt: skip
    refused = await client.post(
        f"/pages/plans/{plan_id}/slots/{slot.id}/edit", data={**edited, "quantity": "0", **csrf}
    )
    assert refused.status_code == 422 and 'id="e-quantity"' in refused.text and "改为科普体验" in refused.text
    saved = await client.post(f"/pages/plans/{plan_id}/slots/{slot.id}/edit", data={**edited, **csrf})
    assert saved.status_code == 303
    [after] = (await read_plan(demo.dsn, plan_id)).slots
    assert (after.id, after.category, after.quantity, after.notes) == (
        slot.id,
        "science.workshop",
        3,
        "改为科普体验",
    )
    assert after.ends_at == TRAINING.starts_at + timedelta(hours=1)
    removed = await client.post(f"/pages/plans/{plan_id}/slots/{slot.id}/remove", data=csrf)
    assert removed.status_code == 303
    assert (await read_plan(demo.dsn, plan_id)).slots == []
    gone = await client.get(f"/pages/plans/{plan_id}/slots/{slot.id}/edit")
    assert gone.status_code == 404


async def test_a_slot_of_a_completed_plan_is_not_changed(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    fair = await read_plan(demo.dsn, FAIR_ID)
    slot = fair.slots[0]
    form = await client.get(f"/pages/plans/{FAIR_ID}/slots/{slot.id}/edit")
    refused = await client.post(
        f"/pages/plans/{FAIR_ID}/slots/{slot.id}/remove", data={"_csrf_token": csrf_of(form.text)}
    )
    assert refused.status_code == 409 and "已完成" in refused.text
    assert len((await read_plan(demo.dsn, FAIR_ID)).slots) == len(fair.slots)


async def test_times_are_shown_in_shanghai_whatever_offset_they_were_given_with(
    client: Client, demo: Demo
) -> None:
    registry = await open_registry(Settings(database_url=demo.dsn, pool_min_size=1, pool_max_size=2))
    try:
        utc = plan.DraftPlan(
            plan_id=uuid.uuid4(), title="按协调世界时录入的活动", venue="礼堂", area=TRAINING.area,
            starts_at=TRAINING.starts_at.astimezone(UTC), ends_at=TRAINING.ends_at.astimezone(UTC),
        )  # fmt: skip
        await commands.change_plan(registry, CLI, utc, creates=True)
    finally:
        await registry.close()
    await sign_in(client, demo.coordinator)
    board = await client.get(f"/pages/plans/{utc.plan_id}")
    shown = TRAINING.starts_at.astimezone(LOCAL_ZONE).strftime("%Y-%m-%d %H:%M")
    assert f"{shown}–{TRAINING.ends_at.astimezone(LOCAL_ZONE).strftime('%H:%M')}" in board.text


_KEY = re.compile(
    r"\b(?:plan_list|plan_form|slot_form|board_actions|alloc|plan_close|plan_report|token|measure)\.[a-z_]+\b"
)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_every_coordinator_page_has_its_words_in_both_languages(
    client: Client, demo: Demo, lang: str
) -> None:
    await sign_in(client, demo.coordinator)
    await client.get(f"/pages/lang?to={lang}")
    fair_slot = (await read_plan(demo.dsn, FAIR_ID)).slots[0].id
    pages = [
        "/pages/plans", "/pages/plans/new", f"/pages/plans/{TRAINING_ID}",
        f"/pages/plans/{TRAINING_ID}/slots/new",
        f"/pages/plans/{FAIR_ID}/slots/{fair_slot}/edit", f"/pages/plans/{TRAINING_ID}/allocate",
        f"/pages/plans/{TRAINING_ID}/complete", f"/pages/plans/{TRAINING_ID}/cancel",
        f"/pages/plans/{FAIR_ID}/report", "/pages/tokens",
    ]  # fmt: skip
    for url in pages:
        shown = await client.get(url)
        assert shown.status_code == 200, url
        assert not _KEY.findall(shown.text), (url, _KEY.findall(shown.text))
        assert (f'lang="{"zh-CN" if lang == "zh" else "en"}"') in shown.text
