"""The offers' pages under the test client: the list (search, filters, paging), an offer's page, and
the liaison's forms — submit with the availability editor, revise, pause, resume, withdraw — with
errors beside their fields in both languages and what was typed kept."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from registry.app import create_app, open_registry
from registry.domain.values import LOCAL_ZONE, OneOffWindow, WeeklyWindow
from registry.read.queries import OfferFilter, get_doc, list_offers
from registry.read.views import OfferView
from registry.settings import Settings
from tests.clock import ManualClock
from tests.demo_fixture import Demo, DemoTemplate, demo_database
from tests.test_pages import Client, csrf_of, sign_in

_ID = re.compile(r"/pages/offers/([0-9a-f-]{36})$")


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_pages_offers")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def client(demo: Demo, clock: ManualClock) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(Settings(database_url=demo.dsn, clock=clock))) as client:
        client.follow_redirects = False
        yield client


def days_ahead(clock: ManualClock, days: int) -> datetime:
    """A local date `days` after the test's clock, at midnight (Asia/Shanghai)."""
    local = (clock() + timedelta(days=days)).astimezone(LOCAL_ZONE)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def offer_form(csrf: str, clock: ManualClock, **fields: str) -> dict[str, str]:
    """An offer form as the page draws it (3 one-off rows, 3 weekly rows), with one weekly window
    (Monday and Wednesday 09:00–12:00 for four weeks) unless `fields` say otherwise."""
    start = days_ahead(clock, 7)
    form = {
        "_csrf_token": csrf, "one_off_rows": "3", "weekly_rows": "3",
        "category": "medical.eye-screening", "title": "周末眼科义诊", "capacity.quantity": "4",
        "capacity.measure": "people", "description": "", "service_area": "", "valid_until": "", "tags": "",
        "availability[3].weekdays.1": "on", "availability[3].weekdays.3": "on",
        "availability[3].start_time": "09:00", "availability[3].end_time": "12:00",
        "availability[3].from_date": start.date().isoformat(),
        "availability[3].to_date": (start + timedelta(days=28)).date().isoformat(),
    }  # fmt: skip
    return {**form, **fields}


async def read_offer(demo: Demo, offer_id: uuid.UUID) -> OfferView:
    registry = await open_registry(Settings(database_url=demo.dsn, pool_min_size=1, pool_max_size=2))
    try:
        doc = await get_doc(registry.list_pool, "offers", offer_id, None)
        assert doc is not None
        return msgspec.json.decode(doc.json, type=OfferView)
    finally:
        await registry.close()


async def submitted_offer(client: Client, clock: ManualClock, **fields: str) -> uuid.UUID:
    form = await client.get("/pages/offers/new")
    response = await client.post("/pages/offers", data=offer_form(csrf_of(form.text), clock, **fields))
    assert response.status_code == 303, response.text
    found = _ID.search(response.headers["location"])
    assert found, response.headers["location"]
    return uuid.UUID(found.group(1))


async def to_english(client: Client) -> None:
    await client.get("/pages/lang?to=en&next=/pages/offers")


async def test_a_liaison_submits_an_offer_with_a_weekly_window(
    client: Client, demo: Demo, clock: ManualClock
) -> None:
    await sign_in(client, demo.liaison)
    form = await client.get("/pages/offers/new")
    assert form.status_code == 200
    # Categories by their Chinese label; the code only as the option's value.
    assert ">　眼科筛查</option>" in form.text and ">medical.eye-screening<" not in form.text
    offer_id = await submitted_offer(client, clock)
    offer = await read_offer(demo, offer_id)
    assert offer.title == "周末眼科义诊" and offer.capacity.quantity == 4
    (window,) = offer.availability
    assert isinstance(window, WeeklyWindow) and window.weekdays == [1, 3]
    assert window.start_time.isoformat() == "09:00:00" and window.end_time.isoformat() == "12:00:00"
    shown = await client.get(f"/pages/offers/{offer_id}")
    assert shown.status_code == 200 and "每周一、周三 09:00–12:00" in shown.text
    assert 'title="medical.eye-screening">眼科筛查<' in shown.text


async def test_a_one_off_window_is_taken_in_shanghai_time(
    client: Client, demo: Demo, clock: ManualClock
) -> None:
    await sign_in(client, demo.liaison)
    day = days_ahead(clock, 3)
    offer_id = await submitted_offer(
        client, clock, **{
            "availability[3].weekdays.1": "", "availability[3].weekdays.3": "",
            "availability[3].start_time": "", "availability[3].end_time": "",
            "availability[3].from_date": "", "availability[3].to_date": "",
            "availability[1].starts_at": day.strftime("%Y-%m-%dT09:00"),
            "availability[1].ends_at": day.strftime("%Y-%m-%dT11:30"),
        },
    )  # fmt: skip
    (window,) = (await read_offer(demo, offer_id)).availability
    assert isinstance(window, OneOffWindow)
    assert window.starts_at == day.replace(hour=9) and window.ends_at == day.replace(hour=11, minute=30)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_weekly_window_ending_before_it_starts_is_shown_beside_its_field(
    client: Client, demo: Demo, clock: ManualClock, lang: str
) -> None:
    await sign_in(client, demo.liaison)
    if lang == "en":
        await to_english(client)
    form = await client.get("/pages/offers/new")
    bad = offer_form(csrf_of(form.text), clock, **{"availability[3].end_time": "08:00"})
    response = await client.post("/pages/offers", data=bad)
    assert response.status_code == 422
    html = response.text
    assert 'id="e-availability[3].end_time"' in html
    assert ("每天结束" if lang == "zh" else "Daily until") in html
    # What was typed is kept: the title, the times, the weekdays ticked.
    assert 'value="周末眼科义诊"' in html and 'value="08:00"' in html and 'value="09:00"' in html
    assert re.search(r'name="availability\[3\]\.weekdays\.3" value="on" checked', html)
    assert not re.search(r'name="availability\[3\]\.weekdays\.2" value="on" checked', html)


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_one_off_window_ending_before_it_starts_lands_on_its_own_row(
    client: Client, demo: Demo, clock: ManualClock, lang: str
) -> None:
    await sign_in(client, demo.liaison)
    if lang == "en":
        await to_english(client)
    day = days_ahead(clock, 3)
    form = await client.get("/pages/offers/new")
    # Row 0 left empty: the window is the body's first, but the error belongs to the form's row 1.
    bad = offer_form(
        csrf_of(form.text), clock, **{
            "availability[1].starts_at": day.strftime("%Y-%m-%dT10:00"),
            "availability[1].ends_at": day.strftime("%Y-%m-%dT09:00"),
        },
    )  # fmt: skip
    response = await client.post("/pages/offers", data=bad)
    assert response.status_code == 422
    assert 'id="e-availability[1].ends_at"' in response.text
    assert 'id="e-availability[0].ends_at"' not in response.text
    assert ("结束" if lang == "zh" else "Ends") in response.text
    assert f'value="{day.strftime("%Y-%m-%dT09:00")}"' in response.text


async def test_add_another_row_keeps_everything_typed(client: Client, demo: Demo, clock: ManualClock) -> None:
    await sign_in(client, demo.liaison)
    form = await client.get("/pages/offers/new")
    day = days_ahead(clock, 3)
    typed = offer_form(
        csrf_of(form.text),
        clock,
        add="one_off",
        **{"availability[0].starts_at": day.strftime("%Y-%m-%dT10:00")},
    )
    response = await client.post("/pages/offers", data=typed)
    assert response.status_code == 200
    html = response.text
    assert 'name="one_off_rows" value="4"' in html and 'name="availability[3].starts_at"' in html
    # The weekly rows moved down one: the first is now row 4, with its values.
    assert re.search(r'name="availability\[4\]\.weekdays\.1" value="on" checked', html)
    assert re.search(r'name="availability\[4\]\.start_time" type="time" value="09:00"', html)
    assert f'value="{day.strftime("%Y-%m-%dT10:00")}"' in html and 'value="周末眼科义诊"' in html
    weekly = await client.post("/pages/offers", data={**typed, "add": "weekly"})
    assert 'name="weekly_rows" value="4"' in weekly.text


async def test_a_form_without_its_csrf_token_is_refused(
    client: Client, demo: Demo, clock: ManualClock
) -> None:
    await sign_in(client, demo.liaison)
    form = offer_form("", clock)
    del form["_csrf_token"]
    response = await client.post("/pages/offers", data=form)
    assert response.status_code == 403


async def test_revise_pause_resume_and_withdraw(client: Client, demo: Demo, clock: ManualClock) -> None:
    await sign_in(client, demo.liaison)
    offer_id = await submitted_offer(client, clock, title="可修改的资源")
    edit = await client.get(f"/pages/offers/{offer_id}/edit")
    assert edit.status_code == 200 and 'value="可修改的资源"' in edit.text
    assert re.search(r'name="availability\[1\]\.weekdays\.3" value="on" checked', edit.text)
    form = dict(re.findall(r'name="([^"]+)" (?:type="[^"]*" )?value="([^"]*)"', edit.text))
    form.update({"title": "改过的资源", "capacity.quantity": "6", "_csrf_token": csrf_of(edit.text)})
    form = {k: v for k, v in form.items() if k != "add" and ".weekdays." not in k}
    form.update({"availability[1].weekdays.1": "on", "availability[1].weekdays.3": "on",
                 "category": "medical.eye-screening", "capacity.measure": "people"})  # fmt: skip
    revised = await client.post(f"/pages/offers/{offer_id}", data=form)
    assert revised.status_code == 303, revised.text
    offer = await read_offer(demo, offer_id)
    assert offer.title == "改过的资源" and offer.capacity.quantity == 6 and len(offer.availability) == 1
    # The same form again is stale: the offer changed since it was drawn.
    stale = await client.post(f"/pages/offers/{offer_id}", data=form)
    assert stale.status_code == 412
    page = await client.get(f"/pages/offers/{offer_id}")
    csrf = csrf_of(page.text)
    assert (
        await client.post(f"/pages/offers/{offer_id}/pause", data={"_csrf_token": csrf})
    ).status_code == 303
    assert (await read_offer(demo, offer_id)).status == "paused"
    again = await client.post(f"/pages/offers/{offer_id}/pause", data={"_csrf_token": csrf})
    assert again.status_code == 409 and "error" in again.text
    assert (
        await client.post(f"/pages/offers/{offer_id}/resume", data={"_csrf_token": csrf})
    ).status_code == 303
    assert (await read_offer(demo, offer_id)).status == "active"
    gone = await client.post(
        f"/pages/offers/{offer_id}/withdraw", data={"_csrf_token": csrf, "reason": "不再提供"}
    )
    assert gone.status_code == 303
    assert (await read_offer(demo, offer_id)).status == "withdrawn"


async def test_a_liaison_cannot_revise_another_units_offer(client: Client, demo: Demo) -> None:
    registry = await open_registry(Settings(database_url=demo.dsn, pool_min_size=1, pool_max_size=2))
    try:
        found = await list_offers(registry.list_pool, OfferFilter(), None, 0, 200)
    finally:
        await registry.close()
    me = await liaison_unit(client, demo)
    other = next(o for o in (msgspec.json.decode(d, type=OfferView) for d in found.docs) if o.unit_id != me)
    assert (await client.get(f"/pages/offers/{other.id}/edit")).status_code == 403
    shown = await client.get(f"/pages/offers/{other.id}")
    assert shown.status_code == 200 and "/withdraw" not in shown.text


async def liaison_unit(client: Client, demo: Demo) -> uuid.UUID:
    html = await sign_in(client, demo.liaison)
    page = await client.get("/pages/offers")
    found = re.search(r'href="/pages/units/([0-9a-f-]{36})">', page.text)
    assert found, "the liaison's pages link to its unit"
    del html
    return uuid.UUID(found.group(1))


async def test_the_list_searches_filters_and_pages(client: Client, demo: Demo, clock: ManualClock) -> None:
    await sign_in(client, demo.liaison)
    offer_id = await submitted_offer(client, clock, title="独一无二的检索词")
    found = await client.get("/pages/offers", params={"q": "独一无二"})
    assert (
        found.status_code == 200
        and str(offer_id) in found.text
        and found.text.count('class="card offer"') == 1
    )
    other = await client.get("/pages/offers", params={"q": "独一无二", "category": "legal"})
    assert str(offer_id) not in other.text
    monday = days_ahead(clock, 7)
    while monday.isoweekday() != 1:
        monday += timedelta(days=1)
    window = {"q": "独一无二", "available_from": monday.strftime("%Y-%m-%dT09:30"),
              "available_to": monday.strftime("%Y-%m-%dT11:00")}  # fmt: skip
    assert str(offer_id) in (await client.get("/pages/offers", params=window)).text
    late = {**window, "available_to": monday.strftime("%Y-%m-%dT13:00")}
    assert str(offer_id) not in (await client.get("/pages/offers", params=late)).text
    bad = await client.get("/pages/offers", params={"category": "nope", "available_from": "x"})
    assert bad.status_code == 422 and 'id="e-category"' in bad.text and 'id="e-available_from"' in bad.text
    first = await client.get("/pages/offers")
    more = re.search(r'rel="next" href="(/pages/offers\?[^"]+)"', first.text)
    assert more, "the first page links to the next"
    second = await client.get(more.group(1).replace("&amp;", "&"))
    ids = set(re.findall(r'data-offer="([^"]+)"', first.text))
    assert second.status_code == 200 and ids.isdisjoint(re.findall(r'data-offer="([^"]+)"', second.text))


async def test_a_coordinator_submits_for_the_unit_it_names(
    client: Client, demo: Demo, clock: ManualClock
) -> None:
    await sign_in(client, demo.coordinator)
    form = await client.get("/pages/offers/new")
    unit = re.search(
        r'<select id="f-unit_id" name="unit_id">.*?<option value="([0-9a-f-]{36})"', form.text, re.S
    )
    assert unit, "the centre picks the unit"
    unnamed = await client.post("/pages/offers", data=offer_form(csrf_of(form.text), clock))
    assert unnamed.status_code == 422 and 'id="e-unit_id"' in unnamed.text
    offer_id = await submitted_offer(client, clock, unit_id=unit.group(1))
    assert str((await read_offer(demo, offer_id)).unit_id) == unit.group(1)
