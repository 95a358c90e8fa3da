"""The web pages under Litestar's test client, on the Ouyang Road demo: signing in, CSRF, the board,
escaping, errors told in Chinese; and the whole 派单 → 接单 cycle through the forms."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from registry.app import create_app, open_registry
from registry.demo.load import FAIR_ID, demo_id
from registry.demo.network import TRAINING
from registry.domain import plan
from registry.domain.values import Role
from registry.read.queries import CommitmentFilter, list_commitments
from registry.service import commands
from registry.settings import Settings
from tests.api_fixtures import CLI
from tests.demo_fixture import TRAINING_ID, Demo, DemoTemplate, demo_database

Client = AsyncTestClient[Litestar]
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page carries no CSRF token"
    return found.group(1)


async def dispatched_unit_liaison(dsn: str) -> str:
    """A liaison token for the unit the training's lecture was dispatched to."""
    registry = await open_registry(Settings(database_url=dsn, pool_min_size=1, pool_max_size=2))
    try:
        where = CommitmentFilter(plan_id=TRAINING_ID, status="proposed")
        found = await list_commitments(registry.list_pool, where, None, 0, 10)
        assert found.docs, "nothing was dispatched"
        unit_id = uuid.UUID(msgspec.json.decode(found.docs[0])["unit_id"])
        _, secret = await commands.issue_token(registry, CLI, Role.LIAISON, unit_id, "pages")
        return secret
    finally:
        await registry.close()


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_pages")


@pytest.fixture
async def client(demo: Demo) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(Settings(database_url=demo.dsn))) as client:
        client.follow_redirects = False
        yield client


async def sign_in(client: Client, token: str) -> str:
    """Sign in through the form; returns the HTML of the page it lands on."""
    form = await client.get("/pages/sign-in")
    response = await client.post(
        "/pages/sign-in", data={"token": token, "_csrf_token": csrf_of(form.text)}, follow_redirects=True
    )
    assert response.status_code == 200, response.text
    return str(response.text)


async def test_pages_redirect_to_sign_in_until_signed_in(client: Client) -> None:
    response = await client.get(f"/pages/plans/{FAIR_ID}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/pages/sign-in?next=%2Fpages%2Fplans%2F{FAIR_ID}"
    assert (await client.get("/")).headers["location"] == "/pages/plans"


async def test_sign_in_with_a_bad_token_shows_an_error_in_chinese(client: Client) -> None:
    form = await client.get("/pages/sign-in")
    assert form.status_code == 200 and 'lang="zh-CN"' in form.text
    response = await client.post(
        "/pages/sign-in", data={"token": "not-a-token", "_csrf_token": csrf_of(form.text)}
    )
    assert response.status_code == 401
    assert "令牌无效或已被吊销" in response.text
    assert "registry_session" not in response.headers.get("set-cookie", "")


async def test_a_form_without_its_csrf_token_is_refused(client: Client, demo: Demo) -> None:
    await client.get("/pages/sign-in")
    refused = await client.post("/pages/sign-in", data={"token": demo.coordinator})
    assert refused.status_code == 403
    assert "表单已过期" in refused.text and "Traceback" not in refused.text
    await sign_in(client, demo.coordinator)
    allocate = await client.post(f"/pages/plans/{TRAINING_ID}/allocate", data={})
    assert allocate.status_code == 403


async def test_the_session_cookie_is_httponly_and_strict(client: Client, demo: Demo) -> None:
    form = await client.get("/pages/sign-in")
    response = await client.post(
        "/pages/sign-in", data={"token": demo.coordinator, "_csrf_token": csrf_of(form.text)}
    )
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("registry_session="))
    assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Path=/pages" in cookie
    # The cookie opens the pages only: the API still wants a bearer token.
    assert (await client.get("/api/v1/plans")).status_code == 401


async def test_the_board_shows_slots_coverage_and_ranked_candidates(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    fair = await client.get(f"/pages/plans/{FAIR_ID}")
    assert fair.status_code == 200
    assert "先锋上海·四季行动（秋收篇）" in fair.text and "medical.eye-screening" in fair.text
    assert "和平眼科医院" in fair.text and "类别匹配" in fair.text and "已满" in fair.text
    training = await client.get(f"/pages/plans/{TRAINING_ID}")
    assert demo.offer_title in training.text and demo.unit_name in training.text
    assert "社区治理案例与思考专题课" in training.text and "一键智能派单" in training.text


async def test_user_text_is_escaped(client: Client, demo: Demo) -> None:
    registry = await open_registry(Settings(database_url=demo.dsn, pool_min_size=1, pool_max_size=2))
    try:
        draft = plan.DraftPlan(
            plan_id=uuid.uuid4(), title="<script>alert('x')</script>活动", venue="<b>礼堂</b>",
            area="虹口区/欧阳路街道", starts_at=TRAINING.starts_at, ends_at=TRAINING.ends_at,
        )  # fmt: skip
        await commands.change_plan(registry, CLI, draft, creates=True)
    finally:
        await registry.close()
    await sign_in(client, demo.coordinator)
    page = await client.get("/pages/plans")
    assert "&lt;script&gt;" in page.text and "<script>" not in page.text
    assert "&lt;b&gt;礼堂&lt;/b&gt;" in page.text


async def test_errors_show_in_the_page_in_chinese_and_english(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    missing = await client.get(f"/pages/plans/{uuid.uuid4()}")
    assert missing.status_code == 404 and "找不到该活动计划" in missing.text
    board = await client.get(f"/pages/plans/{TRAINING_ID}")
    slot_id = demo_id("slot", f"{TRAINING.key}/lecture")
    bad = await client.post(
        f"/pages/plans/{TRAINING_ID}/dispatch",
        data={"slot_id": str(slot_id), "offer_id": str(uuid.uuid4()), "quantity": "1",
              "_csrf_token": csrf_of(board.text)},
    )  # fmt: skip
    assert bad.status_code == 404 and "找不到该资源" in bad.text and "Traceback" not in bad.text
    switched = await client.get("/pages/lang?to=en&next=/pages/plans", follow_redirects=True)
    assert "Activity plans" in switched.text and 'lang="en"' in switched.text
    assert "No such plan." in (await client.get(f"/pages/plans/{uuid.uuid4()}")).text


async def test_the_liaison_sees_no_timeline_and_the_auditor_sees_the_verified_chain(
    client: Client,
    demo: Demo,
) -> None:
    await sign_in(client, demo.liaison)
    assert (await client.get("/pages/timeline")).status_code == 403
    await client.post(
        "/pages/sign-out", data={"_csrf_token": csrf_of((await client.get("/pages/inbox")).text)}
    )
    await sign_in(client, demo.auditor)
    timeline = await client.get("/pages/timeline")
    assert timeline.status_code == 200 and "哈希链校验通过" in timeline.text
    assert "plan_completed" in timeline.text
    # As of position 1: one event, and the fair not yet drafted.
    assert (await client.get("/pages/plans?as_of=1")).text.count("先锋上海") == 0
    units = await client.get("/pages/units")
    assert "和平眼科医院" in units.text
    unit = await client.get(f"/pages/units/{demo_id('unit', 'heping-eye')}")
    assert "和平眼科医院" in unit.text and "资源清单" in unit.text


async def test_allocate_accept_and_fulfil_through_the_forms(client: Client, demo: Demo) -> None:
    await sign_in(client, demo.coordinator)
    # The dry run first (pages/allocate.py); its button dispatches exactly what it showed.
    dry_run = await client.get(f"/pages/plans/{TRAINING_ID}/allocate")
    proposal = re.search(r'name="proposal" value="([0-9a-f]+)"', dry_run.text)
    assert proposal, dry_run.text
    allocated = await client.post(
        f"/pages/plans/{TRAINING_ID}/allocate",
        data={"proposal": proposal.group(1), "_csrf_token": csrf_of(dry_run.text)},
        follow_redirects=True,
    )
    assert allocated.status_code == 200 and "已承接 1 / 需 1" in allocated.text

    await sign_in(client, await dispatched_unit_liaison(demo.dsn))
    inbox = await client.get("/pages/inbox")
    found = re.search(r'action="/pages/inbox/([0-9a-f-]+)/accept"', inbox.text)
    assert found, inbox.text
    commitment_id = found.group(1)
    accepted = await client.post(
        f"/pages/inbox/{commitment_id}/accept",
        data={"_csrf_token": csrf_of(inbox.text)},
        follow_redirects=True,
    )
    assert f'action="/pages/inbox/{commitment_id}/fulfil"' in accepted.text
    # The forms keep the API's rules: a NUL or a bell in the notes is refused, nothing recorded.
    for notes in ("讲座\x00", "讲座\x07"):
        refused = await client.post(
            f"/pages/inbox/{commitment_id}/fulfil",
            data={"people_served": "45", "volunteer_hours": "2.5", "notes": notes,
                  "_csrf_token": csrf_of(accepted.text)},
        )  # fmt: skip
        assert refused.status_code == 422 and "notes" in refused.text, refused.text
    assert f'action="/pages/inbox/{commitment_id}/fulfil"' in (await client.get("/pages/inbox")).text
    fulfilled = await client.post(
        f"/pages/inbox/{commitment_id}/fulfil",
        data={"people_served": "45", "volunteer_hours": "2.5", "_csrf_token": csrf_of(accepted.text)},
        follow_redirects=True,
    )
    assert fulfilled.status_code == 200 and commitment_id not in fulfilled.text

    await sign_in(client, demo.coordinator)
    after = await client.get(f"/pages/plans/{TRAINING_ID}")
    assert "已承接 1 / 需 1（已完成 1）" in after.text


async def test_pages_send_security_headers_even_with_an_error(client: Client) -> None:
    form = await client.get("/pages/sign-in")
    failed = await client.post("/pages/sign-in", data={"token": "x", "_csrf_token": csrf_of(form.text)})
    for response in (form, failed):
        assert "script-src 'none'" in response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


# -- hostile text and ids ------------------------------------------------------------------------------

HOSTILE = "'); DROP TABLE events; -- <script>alert(1)</script> \"><img src=x onerror=alert(1)> {{ 7*7 }}"
# As Jinja's autoescape writes it: the markup inert, the template syntax plain text.
ESCAPED = (
    "&#39;); DROP TABLE events; -- &lt;script&gt;alert(1)&lt;/script&gt; "
    "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; {{ 7*7 }}"
)
RAW = ("<script>alert(1)", "<img src=x", "'); DROP")


async def hostile_network(client: Client, demo: Demo) -> tuple[str, str]:
    """A unit, its offer and need, a published plan whose slot the offer is dispatched to, all named
    with HOSTILE; returns the plan's id and a token of the unit's liaison."""
    bearer = {"Authorization": f"Bearer {demo.coordinator}"}

    async def post(path: str, body: object) -> dict[str, object]:
        response = await client.post(path, json=body, headers=bearer)
        assert response.status_code in (200, 201), response.text
        made: dict[str, object] = response.json()
        return made

    place = '虹口区/"><img src=x onerror=alert(1)>'
    unit = await post("/api/v1/units", {"name": HOSTILE, "short_name": HOSTILE[:100], "kind": "enterprise",
                                        "area": place, "description": HOSTILE})  # fmt: skip
    # 03:00 on a Wednesday: no demo offer is available then, so this one is the slot's candidate.
    when = {"starts_at": "2027-03-03T03:00:00+08:00", "ends_at": "2027-03-03T04:00:00+08:00"}
    offer = await post(f"/api/v1/units/{unit['id']}/offers", {
        "category": "repair.umbrella", "title": HOSTILE, "description": HOSTILE,
        "capacity": {"quantity": 5, "measure": "people"}, "availability": [when]})  # fmt: skip
    await post(
        f"/api/v1/units/{unit['id']}/needs", {"category": "repair", "title": HOSTILE, "quantity": 1, **when}
    )
    plan = await post("/api/v1/plans", {"title": HOSTILE, "venue": HOSTILE, "area": place, **when})
    slot = await post(
        f"/api/v1/plans/{plan['id']}/slots", {"category": "repair.umbrella", "quantity": 5, "notes": HOSTILE}
    )
    await post(f"/api/v1/plans/{plan['id']}/publish", None)
    await post("/api/v1/commitments", {"offer_id": offer["id"], "quantity": 1, "plan_id": plan["id"],
                                       "slot_id": slot["id"]})  # fmt: skip
    token = await post("/api/v1/tokens", {"role": "liaison", "unit_id": unit["id"], "label": HOSTILE[:100]})
    return str(plan["id"]), str(token["token"])


def shows_escaped(html: str, times: int = 1) -> None:
    assert html.count(ESCAPED) >= times, html
    for raw in RAW:
        assert raw not in html


async def test_hostile_text_shows_escaped_on_every_page(client: Client, demo: Demo) -> None:
    plan_id, liaison = await hostile_network(client, demo)
    await sign_in(client, demo.coordinator)
    # The plan list (title, venue); the board (title, venue, slot notes, the candidate's offer and unit).
    shows_escaped((await client.get("/pages/plans")).text, times=2)
    board = await client.get(f"/pages/plans/{plan_id}")
    assert board.status_code == 200
    shows_escaped(board.text, times=4)
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in board.text
    # The units list (the unit's name), and the unit's page: name, description, its offer and need.
    units = (await client.get("/pages/units")).text
    shows_escaped(units, times=1)
    unit_id = next(
        u for u, card in re.findall(r'id="unit-([0-9a-f-]+)">(.*?)</li>', units, re.S) if ESCAPED in card
    )
    shows_escaped((await client.get(f"/pages/units/{unit_id}")).text, times=4)
    # The liaison's inbox: the dispatch (offer → plan), the open slot (plan, notes), its offer to claim with.
    await sign_in(client, liaison)
    shows_escaped((await client.get("/pages/inbox")).text, times=4)


NOT_UUIDS = ["abc", "42", "0b1d7f7e-5a0c-4c1e-9a61-7a4b1f1e2c3g", "%00", "'%20OR%201=1"]


async def test_page_ids_that_are_not_uuids_are_404(client: Client, demo: Demo) -> None:
    page = await sign_in(client, demo.coordinator)
    csrf = {"_csrf_token": csrf_of(page)}
    for bad in NOT_UUIDS:
        assert (await client.get(f"/pages/plans/{bad}")).status_code == 404
        for action in ("dispatch", "allocate"):
            assert (await client.post(f"/pages/plans/{bad}/{action}", data=csrf)).status_code == 404
        for step in ("accept", "decline", "fulfil"):
            assert (await client.post(f"/pages/inbox/{bad}/{step}", data=csrf)).status_code == 404
    # Ids in forms are read as ids: anything else is told in the page, not a server error.
    bad_form = {**csrf, "slot_id": "\x00", "offer_id": "' OR 1=1 --", "quantity": "1e400"}
    refused = await client.post(f"/pages/plans/{TRAINING_ID}/dispatch", data=bad_form)
    assert refused.status_code == 422 and "Traceback" not in refused.text


@pytest.mark.parametrize(
    "as_of",
    ["%00", "99999999999999999999999", "2026-13-01T00:00:00%2B08:00", "1e400", "0001-01-01T00:00:00%2B14:00",
     "9999-12-31T23:59:59-14:00"],
)  # fmt: skip
async def test_a_bad_as_of_on_a_page_is_told_in_the_page(client: Client, demo: Demo, as_of: str) -> None:
    await sign_in(client, demo.coordinator)
    for page in ("plans", "units", "timeline", "inbox"):
        response = await client.get(f"/pages/{page}?as_of={as_of}")
        assert response.status_code == 422, (page, response.status_code)
