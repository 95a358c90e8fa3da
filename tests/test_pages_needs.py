"""The needs' pages under the test client: the list (search, filters, paging), a need's page, and
the liaison's forms — raise, close, cancel — with errors beside their fields in both languages."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from registry.app import create_app, open_registry
from registry.read.queries import get_doc
from registry.read.views import NeedView
from registry.settings import Settings
from tests.clock import ManualClock
from tests.demo_fixture import Demo, DemoTemplate, demo_database
from tests.test_pages import Client, csrf_of, sign_in
from tests.test_pages_offers import days_ahead, to_english

_ID = re.compile(r"/pages/needs/([0-9a-f-]{36})$")


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_pages_needs")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def client(demo: Demo, clock: ManualClock) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(Settings(database_url=demo.dsn, clock=clock))) as client:
        client.follow_redirects = False
        yield client


def need_form(csrf: str, clock: ManualClock, **fields: str) -> dict[str, str]:
    day = days_ahead(clock, 5)
    form = {
        "_csrf_token": csrf, "category": "volunteers.elderly-care", "title": "重阳节助老志愿者",
        "quantity": "3", "measure": "people", "starts_at": day.strftime("%Y-%m-%dT14:00"),
        "ends_at": day.strftime("%Y-%m-%dT16:00"), "location": "欧阳路社区活动室", "urgency": "high",
        "description": "",
    }  # fmt: skip
    return {**form, **fields}


async def read_need(demo: Demo, need_id: uuid.UUID) -> NeedView:
    registry = await open_registry(Settings(database_url=demo.dsn, pool_min_size=1, pool_max_size=2))
    try:
        doc = await get_doc(registry.list_pool, "needs", need_id, None)
        assert doc is not None
        return msgspec.json.decode(doc.json, type=NeedView)
    finally:
        await registry.close()


async def raised_need(client: Client, clock: ManualClock, **fields: str) -> uuid.UUID:
    form = await client.get("/pages/needs/new")
    response = await client.post("/pages/needs", data=need_form(csrf_of(form.text), clock, **fields))
    assert response.status_code == 303, response.text
    found = _ID.search(response.headers["location"])
    assert found
    return uuid.UUID(found.group(1))


async def test_a_liaison_raises_a_need(client: Client, demo: Demo, clock: ManualClock) -> None:
    await sign_in(client, demo.liaison)
    form = await client.get("/pages/needs/new")
    assert form.status_code == 200 and "为老服务志愿者" in form.text
    need_id = await raised_need(client, clock)
    need = await read_need(demo, need_id)
    day = days_ahead(clock, 5)
    assert need.title == "重阳节助老志愿者" and need.quantity == 3 and need.urgency.value == "high"
    assert need.starts_at == day.replace(hour=14) and need.ends_at == day.replace(hour=16)
    shown = await client.get(f"/pages/needs/{need_id}")
    assert shown.status_code == 200 and 'title="volunteers.elderly-care">为老服务志愿者<' in shown.text
    assert "较急" in shown.text


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_need_ending_before_it_starts_is_shown_beside_its_field(
    client: Client, demo: Demo, clock: ManualClock, lang: str
) -> None:
    await sign_in(client, demo.liaison)
    if lang == "en":
        await to_english(client)
    form = await client.get("/pages/needs/new")
    day = days_ahead(clock, 5)
    bad = need_form(csrf_of(form.text), clock, ends_at=day.strftime("%Y-%m-%dT13:00"))
    response = await client.post("/pages/needs", data=bad)
    assert response.status_code == 422
    assert 'id="e-ends_at"' in response.text
    assert ("提出需求" if lang == "zh" else "Raise a need") in response.text
    assert (
        'value="重阳节助老志愿者"' in response.text
        and f'value="{day.strftime("%Y-%m-%dT13:00")}"' in response.text
    )
    missing = await client.post("/pages/needs", data={**bad, "quantity": "", "ends_at": ""})
    assert missing.status_code == 422 and 'id="e-quantity"' in missing.text


async def test_a_form_without_its_csrf_token_is_refused(
    client: Client, demo: Demo, clock: ManualClock
) -> None:
    await sign_in(client, demo.liaison)
    form = need_form("", clock)
    del form["_csrf_token"]
    assert (await client.post("/pages/needs", data=form)).status_code == 403


async def test_close_and_cancel(client: Client, demo: Demo, clock: ManualClock) -> None:
    await sign_in(client, demo.liaison)
    closing, cancelling = await raised_need(client, clock), await raised_need(client, clock)
    csrf = csrf_of((await client.get(f"/pages/needs/{closing}")).text)
    assert (await client.post(f"/pages/needs/{closing}/close", data={"_csrf_token": csrf})).status_code == 303
    assert (await read_need(demo, closing)).status == "closed"
    shown = await client.get(f"/pages/needs/{closing}")
    assert "/close" not in shown.text, "a closed need offers no more changes"
    again = await client.post(f"/pages/needs/{closing}/close", data={"_csrf_token": csrf})
    assert again.status_code == 409
    cancelled = await client.post(
        f"/pages/needs/{cancelling}/cancel", data={"_csrf_token": csrf, "reason": "活动取消"}
    )
    assert cancelled.status_code == 303 and (await read_need(demo, cancelling)).status == "cancelled"


async def test_the_list_searches_filters_and_pages(client: Client, demo: Demo, clock: ManualClock) -> None:
    await sign_in(client, demo.liaison)
    need_id = await raised_need(client, clock, title="找得到的需求词")
    found = await client.get("/pages/needs", params={"q": "找得到"})
    assert str(need_id) in found.text and found.text.count('class="card need"') == 1
    assert (
        str(need_id)
        not in (await client.get("/pages/needs", params={"q": "找得到", "category": "legal"})).text
    )
    assert (
        str(need_id) not in (await client.get("/pages/needs", params={"q": "找得到", "status": "met"})).text
    )
    bad = await client.get("/pages/needs", params={"status": "lost", "unit_id": "x"})
    assert bad.status_code == 422 and 'id="e-status"' in bad.text and 'id="e-unit_id"' in bad.text
    for _ in range(20):  # more than a page
        await raised_need(client, clock)
    first = await client.get("/pages/needs")
    more = re.search(r'rel="next" href="(/pages/needs\?[^"]+)"', first.text)
    assert more
    second = await client.get(more.group(1).replace("&amp;", "&"))
    ids = set(re.findall(r'data-need="([^"]+)"', first.text))
    assert ids and ids.isdisjoint(re.findall(r'data-need="([^"]+)"', second.text))
