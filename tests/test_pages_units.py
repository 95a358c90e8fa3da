"""The units' pages on the Ouyang Road demo: the list's search, filters and paging; a unit's page with
its offers, needs, commitments and ledger; registering and editing a unit through the forms, with
each refused field's error beside it in the page's language and what was typed kept."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from litestar.testing import AsyncTestClient

from registry.app import create_app
from registry.demo.load import demo_id
from registry.demo.network import HONGYI, UNITS, YOUDIAN
from registry.pages import units as units_pages
from registry.settings import Settings
from tests.demo_fixture import Demo, DemoTemplate, demo_database
from tests.test_pages import Client, csrf_of, sign_in

HEPING = demo_id("unit", "heping-eye")
_CARD = re.compile(r'<li class="card unit" id="unit-([0-9a-f-]+)"')


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_pages_units")


@pytest.fixture
async def client(demo: Demo) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(Settings(database_url=demo.dsn))) as client:
        client.follow_redirects = False
        yield client


def listed(html: str) -> list[str]:
    return _CARD.findall(html)


async def test_the_list_searches_by_name_and_filters_by_kind_and_area(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.auditor)
    everyone = listed((await client.get("/pages/units")).text)
    assert len(everyone) == len(UNITS)
    eye = await client.get("/pages/units?q=眼科")
    assert listed(eye.text) == [str(HEPING)] and 'value="眼科"' in eye.text
    residential = listed((await client.get("/pages/units?kind=residential_area")).text)
    assert set(residential) == {str(demo_id("unit", "hongyi")), str(demo_id("unit", "youdian"))}
    # An area takes the places under it too.
    under_youdian = listed((await client.get(f"/pages/units?area={YOUDIAN}")).text)
    assert str(demo_id("unit", "youdian")) in under_youdian and str(HEPING) not in under_youdian
    assert listed((await client.get(f"/pages/units?area={HONGYI}&kind=enterprise")).text) == []
    for bad in ("kind=castle", "q=%00", "q=" + "长" * 101, "area=a//b", "area=%00", "after=-1", "after=x"):
        refused = await client.get(f"/pages/units?{bad}")
        assert refused.status_code == 422 and "Traceback" not in refused.text, bad


async def test_the_list_pages_with_a_more_link(
    client: Client, demo: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(units_pages, "PAGE_SIZE", 5)
    await sign_in(client, demo.liaison)
    seen: list[str] = []
    url: str | None = "/pages/units?kind=public_institution"
    while url is not None:
        html = (await client.get(url)).text
        seen += listed(html)
        found = re.search(r'href="([^"]+)" rel="next"', html)
        url = found.group(1).replace("&amp;", "&") if found else None
        assert url is None or "kind=public_institution" in url, "the filter is kept from page to page"
    everything = listed((await client.get("/pages/units?kind=public_institution&q=")).text)
    assert len(seen) == len(set(seen)) == 7 and len(everything) == 5


async def test_a_units_page_shows_its_offers_needs_commitments_and_ledger(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.auditor)
    page = await client.get(f"/pages/units/{HEPING}")
    assert page.status_code == 200
    html = page.text
    assert "上海和平眼科医院" in html and "企业" in html
    offers = html.split('id="offers"')[1].split('id="needs"')[0]
    assert "眼科义诊：视力与眼压筛查" in offers and "眼科筛查" in offers
    assert 'title="medical.eye-screening"' in offers, "the code only in a tooltip"
    commitments = html.split('id="commitments"')[1].split('id="ledger"')[0]
    assert "已完成" in commitments, "the fair's fulfilled commitment"
    ledger = html.split('id="ledger"')[1]
    assert "提供" in ledger and "结余" in ledger and "暂无往来" not in ledger
    metro = (await client.get(f"/pages/units/{demo_id('unit', 'metro')}")).text
    assert "进博先锋·党员行动：早高峰客流引导志愿者" in metro.split('id="needs"')[1]
    missing = await client.get(f"/pages/units/{uuid.uuid4()}")
    assert missing.status_code == 404 and "找不到该单位" in missing.text


async def test_register_a_unit_errors_beside_the_fields_in_both_languages(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    form = await client.get("/pages/units/new")
    assert form.status_code == 200 and 'name="kind"' in form.text
    typed = {"name": "", "short_name": "新单位简称", "kind": "enterprise", "area": "虹口区/欧阳路街道",
             "address": "欧阳路 1 号", "description": "我们的简介", "agreement_until": "",
             "_csrf_token": csrf_of(form.text)}  # fmt: skip
    refused = await client.post("/pages/units", data=typed)
    assert refused.status_code == 422
    name_field = refused.text.split('id="f-name"')[1].split("</div>")[0]
    assert 'aria-invalid="true"' in name_field and 'class="field-error"' in name_field
    assert 'value="新单位简称"' in refused.text and "我们的简介" in refused.text, "what was typed is kept"
    assert 'value="enterprise" selected' in refused.text

    await client.get("/pages/lang?to=en&next=/pages/units/new")
    english = await client.post("/pages/units", data={**typed, "name": "Good", "area": "bad//area"})
    assert english.status_code == 422 and 'lang="en"' in english.text
    area_field = english.text.split('id="f-area"')[1].split("</div>")[0]
    assert 'class="field-error"' in area_field
    assert 'value="Good"' in english.text


async def test_register_then_edit_a_unit_and_a_name_taken_is_told_in_the_form(
    client: Client, demo: Demo
) -> None:
    await sign_in(client, demo.coordinator)
    csrf = csrf_of((await client.get("/pages/units/new")).text)
    name = f"测试共建单位{uuid.uuid4().hex[:6]}"
    fields = {"name": name, "short_name": "", "kind": "social_organization", "area": "虹口区/欧阳路街道",
              "address": "", "party_org": "", "description": "", "agreement_until": "2030-12-31",
              "_csrf_token": csrf}  # fmt: skip
    made = await client.post("/pages/units", data=fields)
    assert made.status_code == 303
    unit_url = made.headers["location"]
    shown = await client.get(unit_url)
    assert name in shown.text and "社会组织" in shown.text and "2030-12-31" in shown.text
    again = await client.post("/pages/units", data=fields)
    assert again.status_code == 409 and 'class="error"' in again.text and f'value="{name}"' in again.text

    edit = await client.get(f"{unit_url}/edit")
    assert edit.status_code == 200 and f'value="{name}"' in edit.text
    version = re.search(r'name="version" value="(\d+)"', edit.text)
    assert version
    renamed = await client.post(
        f"{unit_url}/edit", data={**fields, "name": name + "（新）", "version": version.group(1)}
    )
    assert renamed.status_code == 303 and name + "（新）" in (await client.get(unit_url)).text
    stale = await client.post(f"{unit_url}/edit", data={**fields, "version": version.group(1)})
    assert stale.status_code == 412 and "数据已被他人修改" in stale.text


async def test_a_liaison_edits_its_own_units_profile_only(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.liaison)
    units = await client.get("/pages/units")
    assert 'id="register-unit"' not in units.text
    assert (await client.get("/pages/units/new")).status_code == 403
    own = await client.get("/pages/units?q=" + demo.unit_name)
    own_id = listed(own.text)[0]
    page = await client.get(f"/pages/units/{own_id}")
    assert 'id="edit-unit"' in page.text
    edit = await client.get(f"/pages/units/{own_id}/edit")
    csrf = csrf_of(edit.text)
    described = await client.post(
        f"/pages/units/{own_id}/edit", data={"description": "联络员写的简介", "_csrf_token": csrf}
    )
    assert described.status_code == 303
    assert "联络员写的简介" in (await client.get(f"/pages/units/{own_id}")).text
    other = str(HEPING) if own_id != str(HEPING) else str(demo_id("unit", "metro"))
    assert 'id="edit-unit"' not in (await client.get(f"/pages/units/{other}")).text
    assert (await client.get(f"/pages/units/{other}/edit")).status_code == 403
    refused = await client.post(f"/pages/units/{other}/edit", data={"description": "x", "_csrf_token": csrf})
    assert refused.status_code == 403
