"""The coordinator's tokens page under the test client: tokens listed without secrets; a token issued
through the form shows its secret once, with a QR code of a sign-in link that only fills the form
in; errors beside their fields in either language; a revoked token no longer signs in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import AsyncTestClient

from registry.app import create_app
from registry.demo.load import demo_id
from registry.service.commands import hash_secret
from tests.demo_fixture import Demo, DemoTemplate, demo_database
from tests.helpers import uvicorn_registry
from tests.test_pages import Client, csrf_of, sign_in

SECRET = re.compile(r'<code class="hash" id="secret">([^<]+)</code>')


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_pages_tokens")


@pytest.fixture
async def client(demo: Demo) -> AsyncIterator[Client]:
    from registry.settings import Settings

    async with AsyncTestClient(create_app(Settings(database_url=demo.dsn))) as client:
        client.follow_redirects = False
        yield client


def unit_option(html: str, name: str) -> str:
    found = re.search(rf'<option value="([0-9a-f-]{{36}})">{re.escape(name)}</option>', html)
    assert found, f"no unit {name} to choose"
    return found.group(1)


async def issue(client: Client, **fields: str) -> tuple[int, str, dict[str, str]]:
    form = await client.get("/pages/tokens")
    answer = await client.post("/pages/tokens", data={**fields, "_csrf_token": csrf_of(form.text)})
    return answer.status_code, answer.text, dict(answer.headers)


async def test_a_liaison_token_is_shown_once_with_a_qr_code_and_signs_in(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    listed = await client.get("/pages/tokens")
    assert listed.status_code == 200 and "和平眼科医院" in listed.text
    unit_id = unit_option(listed.text, "上海和平眼科医院")
    status, html, headers = await issue(client, role="liaison", unit_id=unit_id, label="王医生的手机")
    assert status == 200, html
    secret = SECRET.search(html)
    assert secret and secret.group(1).startswith("reg_")
    assert headers["cache-control"] == "no-store" and headers["referrer-policy"] == "no-referrer"
    # The QR code: inline SVG drawn on the server (the CSP loads no image from elsewhere).
    assert re.search(r'<svg [^>]*class="qr"[^>]*><title>QR</title><path ', html)
    assert f"/pages/sign-in?token={secret.group(1)}" in html
    # A second look at the tokens shows the new one by its label, never its secret.
    again = await client.get("/pages/tokens")
    assert "王医生的手机" in again.text and secret.group(1) not in again.text
    landed = await sign_in(client, secret.group(1))
    assert "接单箱" in landed


async def test_the_sign_in_link_only_fills_the_form_in(client: Client, demo: Demo) -> None:
    link = await client.get("/pages/sign-in", params={"token": demo.liaison})
    assert link.status_code == 200 and f'value="{demo.liaison}"' in link.text
    assert link.headers["cache-control"] == "no-store" and link.headers["referrer-policy"] == "no-referrer"
    # No session from a GET: the pages still send it to sign in.
    assert not any(c.startswith("registry_session=") for c in link.headers.get_list("set-cookie"))
    assert (await client.get("/pages/inbox")).status_code == 303
    hostile = await client.get("/pages/sign-in", params={"token": '"><b>x</b>'})
    assert "<b>x</b>" not in hostile.text and "&#34;&gt;&lt;b&gt;" in hostile.text


@pytest.mark.parametrize(("lang", "label", "said"), [("zh", "所属单位", "单位"), ("en", "Unit", "unit")])
async def test_a_liaison_token_without_a_unit_is_refused_beside_the_unit(
    client: Client, demo: Demo, lang: str, label: str, said: str
) -> None:
    await sign_in(client, demo.coordinator)
    await client.get(f"/pages/lang?to={lang}")
    status, html, _ = await issue(client, role="liaison", unit_id="", label="无单位的令牌")
    assert status == 422
    beside = re.search(r'<label for="f-unit_id">([^<]+)</label>.*?id="e-unit_id">([^<]+)<', html, re.S)
    assert beside and beside.group(1) == label and said in beside.group(2)
    assert 'value="无单位的令牌"' in html and not SECRET.search(html)


async def test_an_auditor_token_bound_to_a_unit_or_an_unknown_unit_is_refused(
    client: Client, demo: Demo
) -> None:
    await sign_in(client, demo.coordinator)
    listed = await client.get("/pages/tokens")
    unit_id = unit_option(listed.text, "上海和平眼科医院")
    status, html, _ = await issue(client, role="auditor", unit_id=unit_id)
    assert status == 422 and 'id="e-unit_id"' in html
    status, html, _ = await issue(client, role="liaison", unit_id=str(demo_id("unit", "nobody")))
    assert status == 422 and 'id="e-unit_id"' in html and not SECRET.search(html)
    status, html, _ = await issue(client, role="janitor")
    assert status == 422 and 'id="e-role"' in html


async def test_a_revoked_token_no_longer_signs_in(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    status, html, _ = await issue(client, role="auditor", label="临时审计")
    secret = SECRET.search(html)
    assert status == 200 and secret
    listed = await client.get("/pages/tokens")
    card = re.search(r'data-token="([0-9a-f-]+)">\s*<h3>临时审计</h3>', listed.text)
    assert card
    token_id = card.group(1)
    confirm = await client.get(f"/pages/tokens/{token_id}/revoke")
    assert confirm.status_code == 200 and "临时审计" in confirm.text and 'id="revoke"' in confirm.text
    # Without the form's CSRF token nothing is revoked.
    assert (await client.post(f"/pages/tokens/{token_id}/revoke", data={})).status_code == 403
    revoked = await client.post(
        f"/pages/tokens/{token_id}/revoke", data={"_csrf_token": csrf_of(confirm.text)}
    )
    assert revoked.status_code == 303 and revoked.headers["location"] == "/pages/tokens"
    after = await client.get("/pages/tokens")
    assert re.search(rf'data-token="{token_id}">.*?已吊销', after.text, re.S)
    assert f"/pages/tokens/{token_id}/revoke" not in after.text
    form = await client.get("/pages/sign-in")
    refused = await client.post(
        "/pages/sign-in", data={"token": secret.group(1), "_csrf_token": csrf_of(form.text)}
    )
    assert refused.status_code == 401 and "令牌无效或已被吊销" in refused.text


async def test_only_the_coordinator_has_the_tokens_page(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.liaison)
    assert (await client.get("/pages/tokens")).status_code == 403
    listed = await client.get("/pages/plans")
    assert 'href="/pages/tokens"' not in listed.text


def test_the_sign_in_links_token_is_not_in_the_access_log(demo: Demo, tmp_path: Path) -> None:
    output = tmp_path / "server.log"
    options = ("--log-level", "info", "--access-log")
    with output.open("wb") as sink, uvicorn_registry(demo.dsn, options=options, output=sink) as base:
        link = httpx.get(f"{base}/pages/sign-in", params={"token": demo.auditor}, timeout=10)
        assert link.status_code == 200 and f'value="{demo.auditor}"' in link.text
    logged = output.read_text(encoding="utf-8", errors="replace")
    assert '"GET /pages/sign-in HTTP/1.1" 200' in logged, logged
    assert demo.auditor not in logged and hash_secret(demo.auditor) not in logged
