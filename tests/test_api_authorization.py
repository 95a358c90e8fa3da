"""Who may call what: one matrix of endpoint × caller → status, as API.md's role rules say.

Callers: a coordinator; an auditor (403 on every write); the liaison of the unit the entity
belongs to ("own"); the liaison of another unit ("other", 403 on any write for a unit not its own);
and three callers that are not authenticated (no token, an unknown token, a revoked token: 401).
Plans and tokens are written by coordinators only; every read is open to any authenticated role.

Every test makes the entities it acts on (an offer of units["own"], a draft plan, a token), so
the tests share one app and database (a fresh one per test would cost most of the run) and still
do not depend on one another. A refused request must leave the log as it was: not one event.

The pages' forms write through the same commands; a second matrix holds them to the same rules.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from registry.domain.values import LOCAL_ZONE
from registry.edge.throttle import AuthThrottle
from registry.matching.config import MatchConfig
from registry.pages.allocate import fingerprint
from registry.service import allocations
from tests.api_fixtures import Api, cloned_database, need_body, offer_body, plan_body, serving_api, unit_body

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROBLEM_JSON = "application/problem+json"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(server_dsn: str, template_database: str, run_prefix: str) -> AsyncIterator[Api]:
    async with (
        cloned_database(server_dsn, template_database, f"{run_prefix}_authz") as dsn,
        serving_api(dsn) as api,
    ):
        # Every endpoint is tried with bad tokens, all from the test client's one address: the
        # throttle on failed authentications (tested in test_access.py) would soon answer 429.
        api.app.state.auth_throttle = AuthThrottle(limit=100_000, window=60)
        yield api


# -- the targets: one request per endpoint, on entities made for the test ------------------------


@dataclass(frozen=True)
class Target:
    method: str
    path: str
    json: Any = None
    # The entity a write changes (its GET path): a refused write must leave its version as it was.
    entity: str | None = None
    # The secret of the token a revocation targets: it stops working only if the revocation is let through.
    secret: str | None = None


TARGETS: dict[str, Callable[[Api], Awaitable[Target]]] = {}


def target(
    endpoint: str,
) -> Callable[[Callable[[Api], Awaitable[Target]]], Callable[[Api], Awaitable[Target]]]:
    def register(make: Callable[[Api], Awaitable[Target]]) -> Callable[[Api], Awaitable[Target]]:
        TARGETS[endpoint] = make
        return make

    return register


async def created(api: Api, path: str, body: Any) -> dict[str, Any]:
    response = await api.post(path, body)  # as the coordinator
    assert response.status_code == 201, response.text
    return response.json()


async def own_offer(api: Api) -> str:
    return (await created(api, f"/api/v1/units/{api.units['own']}/offers", offer_body()))["id"]


async def own_need(api: Api) -> str:
    return (await created(api, f"/api/v1/units/{api.units['own']}/needs", need_body()))["id"]


async def draft_plan(api: Api) -> str:
    return (await created(api, "/api/v1/plans", plan_body()))["id"]


async def issued_token(api: Api, role: str = "auditor", label: str = "matrix") -> dict[str, Any]:
    return await created(api, "/api/v1/tokens", {"role": role, "label": label})


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@target("GET /api/v1/categories")
async def _categories(api: Api) -> Target:
    return Target("GET", "/api/v1/categories")


@target("POST /api/v1/units")
async def _register_unit(api: Api) -> Target:
    return Target("POST", "/api/v1/units", unit_body("矩阵测试单位"))


@target("GET /api/v1/units")
async def _list_units(api: Api) -> Target:
    return Target("GET", "/api/v1/units")


@target("GET /api/v1/units/{unit_id}")
async def _read_unit(api: Api) -> Target:
    return Target("GET", f"/api/v1/units/{api.units['own']}")


@target("PATCH /api/v1/units/{unit_id}")
async def _update_unit(api: Api) -> Target:
    # A description of its own, so that a permitted update always changes something.
    path = f"/api/v1/units/{api.units['own']}"
    return Target("PATCH", path, {"description": f"简介 {uuid.uuid4()}"}, entity=path)


@target("POST /api/v1/units/{unit_id}/offers")
async def _submit_offer(api: Api) -> Target:
    return Target("POST", f"/api/v1/units/{api.units['own']}/offers", offer_body())


@target("GET /api/v1/offers")
async def _list_offers(api: Api) -> Target:
    return Target("GET", "/api/v1/offers")


@target("GET /api/v1/offers/{offer_id}")
async def _read_offer(api: Api) -> Target:
    return Target("GET", f"/api/v1/offers/{await own_offer(api)}")


@target("PATCH /api/v1/offers/{offer_id}")
async def _revise_offer(api: Api) -> Target:
    path = f"/api/v1/offers/{await own_offer(api)}"
    return Target("PATCH", path, {"title": "眼科义诊（修订）"}, entity=path)


@target("POST /api/v1/offers/{offer_id}/withdraw")
async def _withdraw_offer(api: Api) -> Target:
    path = f"/api/v1/offers/{await own_offer(api)}"
    return Target("POST", f"{path}/withdraw", {"reason": "设备检修"}, entity=path)


@target("POST /api/v1/offers/{offer_id}/pause")
async def _pause_offer(api: Api) -> Target:
    path = f"/api/v1/offers/{await own_offer(api)}"
    return Target("POST", f"{path}/pause", entity=path)


@target("POST /api/v1/offers/{offer_id}/resume")
async def _resume_offer(api: Api) -> Target:
    path = f"/api/v1/offers/{await own_offer(api)}"
    paused = await api.post(f"{path}/pause")
    assert paused.status_code == 200, paused.text
    return Target("POST", f"{path}/resume", entity=path)


@target("POST /api/v1/units/{unit_id}/needs")
async def _raise_need(api: Api) -> Target:
    return Target("POST", f"/api/v1/units/{api.units['own']}/needs", need_body())


@target("GET /api/v1/needs")
async def _list_needs(api: Api) -> Target:
    return Target("GET", "/api/v1/needs")


@target("GET /api/v1/needs/{need_id}")
async def _read_need(api: Api) -> Target:
    return Target("GET", f"/api/v1/needs/{await own_need(api)}")


@target("POST /api/v1/needs/{need_id}/close")
async def _close_need(api: Api) -> Target:
    path = f"/api/v1/needs/{await own_need(api)}"
    return Target("POST", f"{path}/close", entity=path)


@target("POST /api/v1/needs/{need_id}/cancel")
async def _cancel_need(api: Api) -> Target:
    path = f"/api/v1/needs/{await own_need(api)}"
    return Target("POST", f"{path}/cancel", {"reason": "活动取消"}, entity=path)


@target("POST /api/v1/plans")
async def _draft_plan(api: Api) -> Target:
    return Target("POST", "/api/v1/plans", plan_body())


@target("GET /api/v1/plans")
async def _list_plans(api: Api) -> Target:
    return Target("GET", "/api/v1/plans")


@target("GET /api/v1/plans/{plan_id}")
async def _read_plan(api: Api) -> Target:
    return Target("GET", f"/api/v1/plans/{await draft_plan(api)}")


@target("POST /api/v1/plans/{plan_id}/slots")
async def _add_slot(api: Api) -> Target:
    path = f"/api/v1/plans/{await draft_plan(api)}"
    return Target("POST", f"{path}/slots", {"category": "medical.eye-screening", "quantity": 2}, entity=path)


@target("POST /api/v1/plans/{plan_id}/publish")
async def _publish_plan(api: Api) -> Target:
    path = f"/api/v1/plans/{await draft_plan(api)}"
    return Target("POST", f"{path}/publish", entity=path)


@target("POST /api/v1/plans/{plan_id}/cancel")
async def _cancel_plan(api: Api) -> Target:
    path = f"/api/v1/plans/{await draft_plan(api)}"
    return Target("POST", f"{path}/cancel", {"reason": "天气原因"}, entity=path)


@target("POST /api/v1/tokens")
async def _issue_token(api: Api) -> Target:
    return Target("POST", "/api/v1/tokens", {"role": "liaison", "unit_id": str(api.units["own"])})


@target("DELETE /api/v1/tokens/{token_id}")
async def _revoke_token(api: Api) -> Target:
    token = await issued_token(api)
    return Target("DELETE", f"/api/v1/tokens/{token['id']}", secret=token["token"])


async def published_slot(api: Api) -> tuple[str, str]:
    plan = await draft_plan(api)
    slot = await created(api, f"/api/v1/plans/{plan}/slots", {"category": "medical", "quantity": 5})
    published = await api.post(f"/api/v1/plans/{plan}/publish")
    assert published.status_code == 200, published.text
    return plan, slot["id"]


async def commitment_body(api: Api) -> dict[str, Any]:
    """One of the own unit's offers for a published plan's slot."""
    plan, slot = await published_slot(api)
    window = {key: plan_body()[key] for key in ("starts_at", "ends_at")}
    offer = await created(api, f"/api/v1/units/{api.units['own']}/offers", offer_body(availability=[window]))
    return {"offer_id": offer["id"], "quantity": 1, "plan_id": plan, "slot_id": slot}


async def dispatched(api: Api, confirmed: bool = False) -> str:
    """A commitment the coordinator dispatched (proposed), or one the unit then accepted."""
    commitment = await created(api, "/api/v1/commitments", await commitment_body(api))
    path = f"/api/v1/commitments/{commitment['id']}"
    if confirmed:
        accepted = await api.post(f"{path}/confirm", who="liaison_own")
        assert accepted.status_code == 200, accepted.text
    return path


@target("POST /api/v1/commitments")
async def _make_commitment(api: Api) -> Target:
    return Target("POST", "/api/v1/commitments", await commitment_body(api))


@target("GET /api/v1/commitments")
async def _list_commitments(api: Api) -> Target:
    return Target("GET", "/api/v1/commitments")


@target("GET /api/v1/commitments/{commitment_id}")
async def _read_commitment(api: Api) -> Target:
    return Target("GET", await dispatched(api))


@target("POST /api/v1/commitments/{commitment_id}/confirm")
async def _confirm_commitment(api: Api) -> Target:
    path = await dispatched(api)
    return Target("POST", f"{path}/confirm", entity=path)


@target("POST /api/v1/commitments/{commitment_id}/decline")
async def _decline_commitment(api: Api) -> Target:
    path = await dispatched(api)
    return Target("POST", f"{path}/decline", {"reason": "人手不够"}, entity=path)


@target("POST /api/v1/commitments/{commitment_id}/release")
async def _release_commitment(api: Api) -> Target:
    path = await dispatched(api, confirmed=True)
    return Target("POST", f"{path}/release", entity=path)


@target("POST /api/v1/commitments/{commitment_id}/fulfil")
async def _fulfil_commitment(api: Api) -> Target:
    path = await dispatched(api, confirmed=True)
    return Target("POST", f"{path}/fulfil", {"people_served": 12, "volunteer_hours": 3}, entity=path)


async def fulfilled(api: Api) -> str:
    """A commitment the unit accepted and reported delivered (its window, in plan_body, is past)."""
    path = await dispatched(api, confirmed=True)
    done = await api.post(f"{path}/fulfil", {"people_served": 12, "volunteer_hours": 3}, who="liaison_own")
    assert done.status_code == 200, done.text
    return path


@target("POST /api/v1/commitments/{commitment_id}/correct")
async def _correct_fulfilment(api: Api) -> Target:
    path = await fulfilled(api)
    body = {"people_served": 10, "volunteer_hours": 2, "reason": "重复计数"}
    return Target("POST", f"{path}/correct", body, entity=path)


@target("POST /api/v1/commitments/{commitment_id}/request-correction")
async def _request_correction(api: Api) -> Target:
    path = await fulfilled(api)
    return Target(
        "POST", f"{path}/request-correction", {"reason": "人数填错了", "people_served": 10}, entity=path
    )


@target("POST /api/v1/plans/{plan_id}/slots/{slot_id}/people-served-limit")
async def _slot_people_limit(api: Api) -> Target:
    plan, slot = await published_slot(api)
    path = f"/api/v1/plans/{plan}"
    return Target(
        "POST", f"{path}/slots/{slot}/people-served-limit", {"people_served_limit": 50}, entity=path
    )


@target("PATCH /api/v1/plans/{plan_id}/slots/{slot_id}")
async def _revise_slot(api: Api) -> Target:
    plan, slot = await _slot_of_a_draft(api)
    path = f"/api/v1/plans/{plan}"
    return Target("PATCH", f"{path}/slots/{slot}", {"quantity": 7, "notes": "靠近入口"}, entity=path)


@target("DELETE /api/v1/plans/{plan_id}/slots/{slot_id}")
async def _remove_slot(api: Api) -> Target:
    plan, slot = await _slot_of_a_draft(api)
    path = f"/api/v1/plans/{plan}"
    return Target("DELETE", f"{path}/slots/{slot}", entity=path)


@target("POST /api/v1/needs/{need_id}/people-served-limit")
async def _need_people_limit(api: Api) -> Target:
    path = f"/api/v1/needs/{await own_need(api)}"
    return Target("POST", f"{path}/people-served-limit", {"people_served_limit": 50}, entity=path)


@target("POST /api/v1/commitments/{commitment_id}/no-show")
async def _no_show(api: Api) -> Target:
    path = await dispatched(api, confirmed=True)
    return Target("POST", f"{path}/no-show", entity=path)


@target("GET /api/v1/plans/{plan_id}/matches")
async def _plan_matches(api: Api) -> Target:
    plan, _ = await published_slot(api)
    return Target("GET", f"/api/v1/plans/{plan}/matches")


@target("POST /api/v1/plans/{plan_id}/allocate")
async def _allocate(api: Api) -> Target:
    body = await commitment_body(api)  # a slot with a fitting offer: a permitted dispatch writes
    path = f"/api/v1/plans/{body['plan_id']}"
    return Target("POST", f"{path}/allocate", {"dry_run": False}, entity=path)


@target("POST /api/v1/plans/{plan_id}/complete")
async def _complete_plan(api: Api) -> Target:
    plan, _ = await published_slot(api)
    path = f"/api/v1/plans/{plan}"
    return Target("POST", f"{path}/complete", {"notes": "完成"}, entity=path)


@target("GET /api/v1/plans/{plan_id}/report")
async def _plan_report(api: Api) -> Target:
    plan, _ = await published_slot(api)
    return Target("GET", f"/api/v1/plans/{plan}/report")


@target("GET /api/v1/needs/{need_id}/matches")
async def _need_matches(api: Api) -> Target:
    return Target("GET", f"/api/v1/needs/{await own_need(api)}/matches")


@target("GET /api/v1/units/{unit_id}/ledger")
async def _ledger(api: Api) -> Target:
    return Target("GET", f"/api/v1/units/{api.units['other']}/ledger")


async def own_contact(api: Api) -> str:
    return (await created(api, f"/api/v1/units/{api.units['own']}/contacts", {"name": "联络人"}))["id"]


@target("POST /api/v1/units/{unit_id}/contacts")
async def _add_contact(api: Api) -> Target:
    path = f"/api/v1/units/{api.units['own']}"
    return Target("POST", f"{path}/contacts", {"name": "联络人", "title": "联络员"}, entity=path)


@target("GET /api/v1/units/{unit_id}/contacts")
async def _list_contacts(api: Api) -> Target:
    return Target("GET", f"/api/v1/units/{api.units['own']}/contacts")


@target("POST /api/v1/contacts/{contact_id}/erase")
async def _erase_contact(api: Api) -> Target:
    contact = await own_contact(api)
    return Target("POST", f"/api/v1/contacts/{contact}/erase", entity=f"/api/v1/units/{api.units['own']}")


@target("GET /api/v1/audit/events")
async def _audit_events(api: Api) -> Target:
    return Target("GET", "/api/v1/audit/events")


@target("GET /api/v1/audit/streams/{stream}")
async def _audit_stream(api: Api) -> Target:
    return Target("GET", f"/api/v1/audit/streams/unit-{api.units['own']}")


@target("GET /api/v1/audit/verify")
async def _audit_verify(api: Api) -> Target:
    return Target("GET", "/api/v1/audit/verify")


# -- the matrix ------------------------------------------------------------------------------------

CALLERS = (
    "coordinator",
    "auditor",
    "liaison_own",
    "liaison_other",
    "no_token",
    "unknown_token",
    "revoked_token",
)

# fmt: off
MATRIX: dict[str, tuple[int, int, int, int, int, int, int]] = {
    #                                            coord- audi-  liaison liaison  no   unknown revoked
    #                                            inator tor    own     other   token  token  token
    "GET /api/v1/categories":                    (200,  200,   200,    200,    401,   401,   401),
    "POST /api/v1/units":                        (201,  403,   403,    403,    401,   401,   401),
    "GET /api/v1/units":                         (200,  200,   200,    200,    401,   401,   401),
    "GET /api/v1/units/{unit_id}":               (200,  200,   200,    200,    401,   401,   401),
    "PATCH /api/v1/units/{unit_id}":             (200,  403,   200,    403,    401,   401,   401),
    "POST /api/v1/units/{unit_id}/offers":       (201,  403,   201,    403,    401,   401,   401),
    "GET /api/v1/offers":                        (200,  200,   200,    200,    401,   401,   401),
    "GET /api/v1/offers/{offer_id}":             (200,  200,   200,    200,    401,   401,   401),
    "PATCH /api/v1/offers/{offer_id}":           (200,  403,   200,    403,    401,   401,   401),
    "POST /api/v1/offers/{offer_id}/withdraw":   (200,  403,   200,    403,    401,   401,   401),
    "POST /api/v1/offers/{offer_id}/pause":      (200,  403,   200,    403,    401,   401,   401),
    "POST /api/v1/offers/{offer_id}/resume":     (200,  403,   200,    403,    401,   401,   401),
    "POST /api/v1/units/{unit_id}/needs":        (201,  403,   201,    403,    401,   401,   401),
    "GET /api/v1/needs":                         (200,  200,   200,    200,    401,   401,   401),
    "GET /api/v1/needs/{need_id}":               (200,  200,   200,    200,    401,   401,   401),
    "POST /api/v1/needs/{need_id}/close":        (200,  403,   200,    403,    401,   401,   401),
    "POST /api/v1/needs/{need_id}/cancel":       (200,  403,   200,    403,    401,   401,   401),
    "POST /api/v1/plans":                        (201,  403,   403,    403,    401,   401,   401),
    "GET /api/v1/plans":                         (200,  200,   200,    200,    401,   401,   401),
    "GET /api/v1/plans/{plan_id}":               (200,  200,   200,    200,    401,   401,   401),
    "POST /api/v1/plans/{plan_id}/slots":        (201,  403,   403,    403,    401,   401,   401),
    "PATCH /api/v1/plans/{plan_id}/slots/{slot_id}":  (200, 403, 403,  403,    401,   401,   401),
    "DELETE /api/v1/plans/{plan_id}/slots/{slot_id}": (204, 403, 403,  403,    401,   401,   401),
    "POST /api/v1/plans/{plan_id}/publish":      (200,  403,   403,    403,    401,   401,   401),
    "POST /api/v1/plans/{plan_id}/cancel":       (200,  403,   403,    403,    401,   401,   401),
    "POST /api/v1/tokens":                       (201,  403,   403,    403,    401,   401,   401),
    "DELETE /api/v1/tokens/{token_id}":          (204,  403,   403,    403,    401,   401,   401),
    # A dispatch is confirmed by the offering unit only; a no-show is the centre's to record.
    "POST /api/v1/commitments":                  (201,  403,   201,    403,    401,   401,   401),
    "GET /api/v1/commitments":                   (200,  200,   200,    200,    401,   401,   401),
    "GET /api/v1/commitments/{commitment_id}":   (200,  200,   200,    200,    401,   401,   401),
    "POST /api/v1/commitments/{commitment_id}/confirm": (403, 403, 200,   403,    401,   401,   401),
    "POST /api/v1/commitments/{commitment_id}/decline": (200, 403, 200,   403,    401,   401,   401),
    "POST /api/v1/commitments/{commitment_id}/release": (200, 403, 200,   403,    401,   401,   401),
    "POST /api/v1/commitments/{commitment_id}/fulfil":  (200, 403, 200,   403,    401,   401,   401),
    "POST /api/v1/commitments/{commitment_id}/no-show": (200, 403, 403,   403,    401,   401,   401),
    # The centre corrects a fulfilment; the offering unit may only ask it to.
    "POST /api/v1/commitments/{commitment_id}/correct": (200, 403, 403,   403,    401,   401,   401),
    "POST /api/v1/commitments/{commitment_id}/request-correction":
                                                 (403,  403,   200,    403,    401,   401,   401),
    # The bounds on people served are the centre's to set, not the reporting units'.
    "POST /api/v1/plans/{plan_id}/slots/{slot_id}/people-served-limit":
                                                 (200,  403,   403,    403,    401,   401,   401),
    "POST /api/v1/needs/{need_id}/people-served-limit":
                                                 (200,  403,   403,    403,    401,   401,   401),
    # Matching and allocation are the centre's; a need's matches are also its own unit's.
    "GET /api/v1/plans/{plan_id}/matches":       (200,  403,   403,    403,    401,   401,   401),
    "POST /api/v1/plans/{plan_id}/allocate":     (200,  403,   403,    403,    401,   401,   401),
    "POST /api/v1/plans/{plan_id}/complete":     (200,  403,   403,    403,    401,   401,   401),
    "GET /api/v1/plans/{plan_id}/report":        (200,  200,   200,    200,    401,   401,   401),
    "GET /api/v1/needs/{need_id}/matches":       (200,  403,   200,    403,    401,   401,   401),
    "GET /api/v1/units/{unit_id}/ledger":        (200,  200,   200,    200,    401,   401,   401),
    # Names and phones: the centre and the unit's own liaison only; erasure is the centre's.
    "POST /api/v1/units/{unit_id}/contacts":     (201,  403,   201,    403,    401,   401,   401),
    "GET /api/v1/units/{unit_id}/contacts":      (200,  403,   200,    403,    401,   401,   401),
    "POST /api/v1/contacts/{contact_id}/erase":  (200,  403,   403,    403,    401,   401,   401),
    # The audit trail: the centre and auditors, never a unit's liaison.
    "GET /api/v1/audit/events":                  (200,  200,   403,    403,    401,   401,   401),
    "GET /api/v1/audit/streams/{stream}":        (200,  200,   403,    403,    401,   401,   401),
    "GET /api/v1/audit/verify":                  (200,  200,   403,    403,    401,   401,   401),
}
# fmt: on

ROWS = [
    pytest.param(endpoint, caller, status, id=f"{endpoint} as {caller}")
    for endpoint, statuses in MATRIX.items()
    for caller, status in zip(CALLERS, statuses, strict=True)
]


async def credentials(api: Api, caller: str) -> dict[str, str]:
    if caller == "no_token":
        return {}
    if caller == "unknown_token":
        return bearer("reg_" + "x" * 43)
    if caller == "revoked_token":
        # A coordinator's token: it could do anything, until it is revoked.
        token = await issued_token(api, role="coordinator", label="to be revoked")
        revoked = await api.request("DELETE", f"/api/v1/tokens/{token['id']}")
        assert revoked.status_code == 204, revoked.text
        return bearer(token["token"])
    return api.auth(caller)


async def version_of(api: Api, path: str | None) -> int | None:
    if path is None:
        return None
    response = await api.get(path)
    assert response.status_code == 200, response.text
    return response.json()["version"]


# Not "a auditor" (nor "an coordinator"): a detail reads as a sentence would. ("a unit" and "a
# one-off" are said that way, so u and o are left alone.)
_WRONG_ARTICLE = re.compile(r"\ba (?=[aei])|\ban (?=[bcdfgjklmnpqrstvwxz])", re.IGNORECASE)


def assert_problem(response: Any, status: int) -> None:
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body = response.json()
    assert body["status"] == status, body
    assert isinstance(body["title"], str) and body["title"], body
    assert body.get("type"), body
    assert not _WRONG_ARTICLE.search(body.get("detail", "")), body["detail"]


@pytest.mark.parametrize(("endpoint", "caller", "expected"), ROWS)
async def test_authorization_matrix(shared: Api, endpoint: str, caller: str, expected: int) -> None:
    api = shared
    call = await TARGETS[endpoint](api)
    before = await version_of(api, call.entity)
    headers = await credentials(api, caller)
    head = await api.registry.store.head()

    response = await api.request(call.method, call.path, who="nobody", headers=headers, json=call.json)

    assert response.status_code == expected, response.text
    if expected in (401, 403):
        assert_problem(response, expected)
    if expected == 401:
        assert response.headers.get("www-authenticate", "").lower().startswith("bearer")
    if expected >= 400:
        # Creations too (they have no entity to compare): nothing at all was written.
        assert await api.registry.store.head() == head, f"a refused {endpoint} wrote to the log"
    after = await version_of(api, call.entity)
    if expected >= 400:
        assert after == before, f"a refused {endpoint} changed the entity"
    elif before is not None:
        assert after is not None and after > before, f"a permitted {endpoint} changed nothing"
    if call.secret is not None:
        still = await api.get("/api/v1/categories", who="nobody", headers=bearer(call.secret))
        assert still.status_code == (401 if expected == 204 else 200), still.text


_PATH_TYPE = re.compile(r":[a-z]+\}")


async def test_the_matrix_covers_every_endpoint(shared: Api) -> None:
    """A route added to the app without a row here fails this test."""
    served = {
        f"{method} {_PATH_TYPE.sub('}', route.path)}"
        for route in shared.app.routes
        for method in getattr(route, "methods", ())
        if method not in {"OPTIONS", "HEAD"} and route.path.startswith("/api/")
    }
    assert served == set(MATRIX)
    assert set(TARGETS) == set(MATRIX)


# -- the pages' forms ------------------------------------------------------------------------------
#
# The same rules through the forms a signed-in browser posts (session cookie and CSRF token). The
# coordinator and the own unit's liaison show each form works (303 back to the page); the auditor
# and another unit's liaison are refused (403) and nothing is written.

PAGE_CALLERS = ("coordinator", "auditor", "liaison_own", "liaison_other")

# fmt: off
PAGE_MATRIX: dict[str, tuple[int, int, int, int]] = {
    #                                                  coord-  audi-  liaison liaison
    #                                                  inator  tor    own     other
    # Both forms make a commitment as POST /commitments does: by the offering unit, a claim.
    "POST /pages/plans/{plan_id}/dispatch":            (303,   403,   303,    403),
    "POST /pages/plans/{plan_id}/allocate":            (303,   403,   403,    403),
    # A dispatch is accepted by the unit it was sent to; the centre confirms claims only.
    "POST /pages/inbox/{commitment_id}/accept":        (403,   403,   303,    403),
    "POST /pages/inbox/{commitment_id}/decline":       (303,   403,   303,    403),
    "POST /pages/inbox/{commitment_id}/fulfil":        (303,   403,   303,    403),
    # A claim of the own unit's offer (by the centre it is a dispatch).
    "POST /pages/inbox/claim":                         (303,   403,   303,    403),
    # Registering a unit is the centre's; its profile is edited by the centre or its own liaison.
    "POST /pages/units":                               (303,   403,   403,    403),
    "POST /pages/units/{unit_id}/edit":                (303,   403,   303,    403),
    # A liaison submits and raises for its own unit only (so another unit's liaison may, for its
    # own); a change to an offer or a need is its unit's or the centre's.
    "POST /pages/offers":                              (303,   403,   303,    303),
    "POST /pages/offers/{offer_id}":                   (303,   403,   303,    403),
    "POST /pages/offers/{offer_id}/pause":             (303,   403,   303,    403),
    "POST /pages/offers/{offer_id}/resume":            (303,   403,   303,    403),
    "POST /pages/offers/{offer_id}/withdraw":          (303,   403,   303,    403),
    "POST /pages/needs":                               (303,   403,   303,    303),
    "POST /pages/needs/{need_id}/close":               (303,   403,   303,    403),
    "POST /pages/needs/{need_id}/cancel":              (303,   403,   303,    403),
    # The centre's forms: plans, their slots, publishing, confirming a claim, completing,
    # cancelling, allocating (after its dry run), tokens.
    "POST /pages/plans/new":                           (303,   403,   403,    403),
    "POST /pages/plans/{plan_id}/slots/new":           (303,   403,   403,    403),
    "POST /pages/plans/{plan_id}/slots/{slot_id}/edit": (303,  403,   403,    403),
    "POST /pages/plans/{plan_id}/slots/{slot_id}/remove": (303, 403,  403,    403),
    "POST /pages/plans/{plan_id}/publish":             (303,   403,   403,    403),
    "POST /pages/plans/{plan_id}/claims/{commitment_id}/confirm": (303, 403, 403, 403),
    "POST /pages/plans/{plan_id}/complete":            (303,   403,   403,    403),
    "POST /pages/plans/{plan_id}/cancel":              (303,   403,   403,    403),
    # A token's secret is shown once, in the answer itself: not a redirect to a page of it.
    "POST /pages/tokens":                              (200,   403,   403,    403),
    "POST /pages/tokens/{token_id}/revoke":            (303,   403,   403,    403),
}
# fmt: on

# Forms that write nothing: signing in and out.
NOT_WRITES = {"POST /pages/sign-in", "POST /pages/sign-out"}


@dataclass(frozen=True)
class Form:
    path: str
    data: dict[str, str]
    # The entity the form changes (its API path), whose version a refusal must leave alone.
    entity: str | None


async def _dispatch_form(api: Api) -> Form:
    body = await commitment_body(api)
    plan = f"/pages/plans/{body['plan_id']}"
    data = {"offer_id": body["offer_id"], "slot_id": body["slot_id"], "quantity": "1"}
    return Form(f"{plan}/dispatch", data, entity=f"/api/v1/offers/{body['offer_id']}")


async def _allocate_form(api: Api) -> Form:
    body = await commitment_body(api)
    dry_run = await allocations.preview(api.registry, uuid.UUID(body["plan_id"]), None, MatchConfig())
    data = {"proposal": fingerprint(dry_run)}
    return Form(f"/pages/plans/{body['plan_id']}/allocate", data, entity=f"/api/v1/offers/{body['offer_id']}")


async def _accept_form(api: Api) -> Form:
    path = await dispatched(api)
    return Form(f"/pages/inbox/{path.rsplit('/', 1)[1]}/accept", {}, entity=path)


async def _decline_form(api: Api) -> Form:
    path = await dispatched(api)
    return Form(f"/pages/inbox/{path.rsplit('/', 1)[1]}/decline", {"reason": "人手不够"}, entity=path)


async def _fulfil_form(api: Api) -> Form:
    path = await dispatched(api, confirmed=True)
    data = {"people_served": "12", "volunteer_hours": "3"}
    return Form(f"/pages/inbox/{path.rsplit('/', 1)[1]}/fulfil", data, entity=path)


async def _claim_form(api: Api) -> Form:
    body = await commitment_body(api)
    data = {key: body[key] for key in ("offer_id", "plan_id", "slot_id")}
    return Form("/pages/inbox/claim", {**data, "quantity": "1"}, entity=f"/api/v1/offers/{body['offer_id']}")


def _local(days: int, hour: int) -> datetime:
    """A time `days` from now in Shanghai, on the hour: the forms' `datetime-local` values."""
    day = datetime.now(LOCAL_ZONE) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def _unit_fields(name: str) -> dict[str, str]:
    return {
        "name": name, "short_name": "", "kind": "public_institution", "area": "虹口区/欧阳路街道",
        "address": "", "party_org": "", "description": f"简介 {uuid.uuid4()}", "agreement_until": "",
    }  # fmt: skip


async def _version(api: Api, path: str) -> str:
    return str(await version_of(api, path))


async def _register_unit_form(api: Api) -> Form:
    return Form("/pages/units", _unit_fields(unit_body()["name"]), entity=f"/api/v1/units/{api.units['own']}")


async def _edit_unit_form(api: Api) -> Form:
    path = f"/api/v1/units/{api.units['own']}"
    unit = (await api.get(path)).json()
    data = {**_unit_fields(unit["name"]), "version": await _version(api, path)}
    return Form(f"/pages/units/{api.units['own']}/edit", data, entity=path)


def _offer_fields(unit_id: str) -> dict[str, str]:
    start = _local(7, 9)
    return {
        "unit_id": unit_id, "one_off_rows": "1", "weekly_rows": "1",
        "category": "medical.eye-screening", "title": "眼科义诊（页面）", "capacity.quantity": "4",
        "capacity.measure": "people", "description": "", "service_area": "", "valid_until": "", "tags": "",
        "availability[0].starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "availability[0].ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
    }  # fmt: skip


async def _submit_offer_form(api: Api) -> Form:
    return Form(
        "/pages/offers", _offer_fields(str(api.units["own"])), entity=f"/api/v1/units/{api.units['own']}"
    )


async def _revise_offer_form(api: Api) -> Form:
    path = f"/api/v1/offers/{await own_offer(api)}"
    data = {**_offer_fields(str(api.units["own"])), "version": await _version(api, path)}
    return Form(f"/pages/offers/{path.rsplit('/', 1)[1]}", data, entity=path)


async def _pause_offer_form(api: Api) -> Form:
    path = f"/api/v1/offers/{await own_offer(api)}"
    return Form(f"/pages/offers/{path.rsplit('/', 1)[1]}/pause", {}, entity=path)


async def _resume_offer_form(api: Api) -> Form:
    path = f"/api/v1/offers/{await own_offer(api)}"
    paused = await api.post(f"{path}/pause")
    assert paused.status_code == 200, paused.text
    return Form(f"/pages/offers/{path.rsplit('/', 1)[1]}/resume", {}, entity=path)


async def _withdraw_offer_form(api: Api) -> Form:
    path = f"/api/v1/offers/{await own_offer(api)}"
    return Form(f"/pages/offers/{path.rsplit('/', 1)[1]}/withdraw", {"reason": "设备检修"}, entity=path)


async def _raise_need_form(api: Api) -> Form:
    start = _local(5, 14)
    data = {
        "unit_id": str(api.units["own"]), "category": "volunteers.elderly-care", "title": "助老志愿者",
        "quantity": "3", "measure": "people", "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"), "location": "",
        "urgency": "normal", "description": "",
    }  # fmt: skip
    return Form("/pages/needs", data, entity=f"/api/v1/units/{api.units['own']}")


async def _close_need_form(api: Api) -> Form:
    path = f"/api/v1/needs/{await own_need(api)}"
    return Form(f"/pages/needs/{path.rsplit('/', 1)[1]}/close", {}, entity=path)


async def _cancel_need_form(api: Api) -> Form:
    path = f"/api/v1/needs/{await own_need(api)}"
    return Form(f"/pages/needs/{path.rsplit('/', 1)[1]}/cancel", {"reason": "活动取消"}, entity=path)


def _slot_fields() -> dict[str, str]:
    # No window: the slot takes its plan's.
    return {"category": "medical.eye-screening", "quantity": "2", "measure": "people",
            "starts_at": "", "ends_at": "", "notes": ""}  # fmt: skip


async def _draft_plan_form(api: Api) -> Form:
    start = _local(9, 9)
    data = {
        "title": "页面起草的活动", "series": "", "venue": "欧阳路街道社区党群服务中心",
        "area": "虹口区/欧阳路街道", "expected_attendance": "50",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
    }  # fmt: skip
    return Form("/pages/plans/new", data, entity=None)


async def _add_slot_form(api: Api) -> Form:
    plan = await draft_plan(api)
    return Form(f"/pages/plans/{plan}/slots/new", _slot_fields(), entity=f"/api/v1/plans/{plan}")


async def _slot_of_a_draft(api: Api) -> tuple[str, str]:
    plan = await draft_plan(api)
    slot = await created(api, f"/api/v1/plans/{plan}/slots", {"category": "medical", "quantity": 5})
    return plan, slot["id"]


async def _edit_slot_form(api: Api) -> Form:
    plan, slot = await _slot_of_a_draft(api)
    data = {**_slot_fields(), "quantity": "7"}
    return Form(f"/pages/plans/{plan}/slots/{slot}/edit", data, entity=f"/api/v1/plans/{plan}")


async def _remove_slot_form(api: Api) -> Form:
    plan, slot = await _slot_of_a_draft(api)
    return Form(f"/pages/plans/{plan}/slots/{slot}/remove", {}, entity=f"/api/v1/plans/{plan}")


async def _publish_form(api: Api) -> Form:
    plan, _ = await _slot_of_a_draft(api)
    return Form(f"/pages/plans/{plan}/publish", {}, entity=f"/api/v1/plans/{plan}")


async def _confirm_claim_form(api: Api) -> Form:
    claimed = await api.post("/api/v1/commitments", await commitment_body(api), who="liaison_own")
    assert claimed.status_code == 201, claimed.text
    commitment = claimed.json()
    path = f"/pages/plans/{commitment['plan_id']}/claims/{commitment['id']}/confirm"
    return Form(path, {}, entity=f"/api/v1/commitments/{commitment['id']}")


async def _complete_form(api: Api) -> Form:
    plan, _ = await published_slot(api)
    return Form(f"/pages/plans/{plan}/complete", {"notes": "圆满完成"}, entity=f"/api/v1/plans/{plan}")


async def _cancel_plan_form(api: Api) -> Form:
    plan = await draft_plan(api)
    return Form(f"/pages/plans/{plan}/cancel", {"reason": "天气原因"}, entity=f"/api/v1/plans/{plan}")


async def _issue_token_form(api: Api) -> Form:
    data = {"role": "liaison", "unit_id": str(api.units["own"]), "label": "页面发放"}
    return Form("/pages/tokens", data, entity=None)


async def _revoke_token_form(api: Api) -> Form:
    token = await issued_token(api)
    return Form(f"/pages/tokens/{token['id']}/revoke", {}, entity=None)


PAGE_FORMS: dict[str, Callable[[Api], Awaitable[Form]]] = {
    "POST /pages/plans/{plan_id}/dispatch": _dispatch_form,
    "POST /pages/plans/{plan_id}/allocate": _allocate_form,
    "POST /pages/inbox/{commitment_id}/accept": _accept_form,
    "POST /pages/inbox/{commitment_id}/decline": _decline_form,
    "POST /pages/inbox/{commitment_id}/fulfil": _fulfil_form,
    "POST /pages/inbox/claim": _claim_form,
    "POST /pages/units": _register_unit_form,
    "POST /pages/units/{unit_id}/edit": _edit_unit_form,
    "POST /pages/offers": _submit_offer_form,
    "POST /pages/offers/{offer_id}": _revise_offer_form,
    "POST /pages/offers/{offer_id}/pause": _pause_offer_form,
    "POST /pages/offers/{offer_id}/resume": _resume_offer_form,
    "POST /pages/offers/{offer_id}/withdraw": _withdraw_offer_form,
    "POST /pages/needs": _raise_need_form,
    "POST /pages/needs/{need_id}/close": _close_need_form,
    "POST /pages/needs/{need_id}/cancel": _cancel_need_form,
    "POST /pages/plans/new": _draft_plan_form,
    "POST /pages/plans/{plan_id}/slots/new": _add_slot_form,
    "POST /pages/plans/{plan_id}/slots/{slot_id}/edit": _edit_slot_form,
    "POST /pages/plans/{plan_id}/slots/{slot_id}/remove": _remove_slot_form,
    "POST /pages/plans/{plan_id}/publish": _publish_form,
    "POST /pages/plans/{plan_id}/claims/{commitment_id}/confirm": _confirm_claim_form,
    "POST /pages/plans/{plan_id}/complete": _complete_form,
    "POST /pages/plans/{plan_id}/cancel": _cancel_plan_form,
    "POST /pages/tokens": _issue_token_form,
    "POST /pages/tokens/{token_id}/revoke": _revoke_token_form,
}

PAGE_ROWS = [
    pytest.param(form, caller, status, id=f"{form} as {caller}")
    for form, statuses in PAGE_MATRIX.items()
    for caller, status in zip(PAGE_CALLERS, statuses, strict=True)
]
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf_pair(api: Api) -> tuple[str, str]:
    """A CSRF cookie and the form token that goes with it, as the sign-in page hands them out."""
    form = await api.client.get("/pages/sign-in")
    token, cookie = _CSRF.search(form.text), api.client.cookies.get("csrftoken")
    assert token is not None and cookie is not None, form.text
    return cookie, token.group(1)


@pytest.mark.parametrize(("form", "caller", "expected"), PAGE_ROWS)
async def test_page_forms_matrix(shared: Api, form: str, caller: str, expected: int) -> None:
    api = shared
    call = await PAGE_FORMS[form](api)
    before = await version_of(api, call.entity)
    cookie, csrf = await csrf_pair(api)
    head = await api.registry.store.head()

    response = await api.client.post(
        call.path,
        data={**call.data, "_csrf_token": csrf},
        headers={"Cookie": f"csrftoken={cookie}; registry_session={await api.page_session(caller)}"},
        follow_redirects=False,
    )

    assert response.status_code == expected, response.text
    after = await version_of(api, call.entity)
    if expected == 403:
        assert "您没有权限执行此操作" in response.text
        assert await api.registry.store.head() == head, f"a refused {form} wrote to the log"
        assert after == before, f"a refused {form} changed the entity"
    else:
        assert await api.registry.store.head() != head, f"a permitted {form} wrote nothing"


async def test_the_page_matrix_covers_every_form(shared: Api) -> None:
    """A form added to the pages without a row here fails this test."""
    posted = {
        f"POST {_PATH_TYPE.sub('}', route.path)}"
        for route in shared.app.routes
        if "POST" in getattr(route, "methods", ()) and route.path.startswith("/pages/")
    }
    assert posted - NOT_WRITES == set(PAGE_MATRIX) == set(PAGE_FORMS)


@pytest.mark.parametrize(
    ("who", "path", "detail"),
    [
        ("auditor", "/api/v1/plans", "an auditor may not do this (only a coordinator)"),
        ("liaison_own", "/api/v1/plans", "a liaison may not do this (only a coordinator)"),
    ],
)
async def test_a_refusal_says_who_may(shared: Api, who: str, path: str, detail: str) -> None:
    refused = await shared.post(path, {}, who=who)
    assert refused.status_code == 403 and refused.json()["detail"] == detail, refused.text


async def test_a_liaison_acting_for_another_unit_is_told_so(shared: Api) -> None:
    refused = await shared.post(
        f"/api/v1/units/{shared.units['own']}/offers", offer_body(), who="liaison_other"
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"] == "a liaison acts only for its own unit, and this is another's"
