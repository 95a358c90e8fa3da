"""schemathesis against the OpenAPI document, as each role: no 5xx, and every response conforms (its
status is documented, its content type and body match the schema).

The app runs under uvicorn on loopback against its own database, as in production, seeded with a
small network (two units, an offer, a need, a published plan with a slot, a commitment) so that
lists have items and each role has something to act on. Three roles run every operation: a
coordinator, an auditor, and the liaison of a unit that exists, whose unit's id fills the paths
that take a unit (anything else there is a 403 or 404, which test_api_authorization covers).

The document is the one the app serves, amended where Litestar writes less than the contract:
request bodies get `additionalProperties: false` (the API refuses unknown fields) and optional
parameters lose their `null` (a header or query value is never JSON null). Without that, most
"valid" generated requests are refused, and the runs stay shallow.

Stateless runs draw ids at random, so most reads of one entity are 404s, which must be documented
problems too. The stateful run follows links from one answer to the next: schemathesis 4 infers
most of them from the response schemas (`POST /units` → `GET /units/{unit_id}` by
`$response.body#/id`, lists → their items, and so on); Litestar emits no OpenAPI links, and those
inference misses (a plan's slots, a commitment's offer and slot, a token's revocation) are added
here. Budgets are small: the whole module runs in about a minute.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from litestar.serialization import encode_json
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ensure_resource_availability,
    response_schema_conformance,
    status_code_conformance,
)

from registry.app import create_app
from registry.settings import Settings
from tests.api_fixtures import named_clone, need_body, offer_body, plan_body, unit_body
from tests.helpers import coordinator_token, uvicorn_registry

ROLES = ("coordinator", "auditor", "liaison")


class Live(msgspec.Struct, frozen=True, kw_only=True):
    base: str
    tokens: dict[str, str]
    unit_id: str  # the liaison's

    def headers(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def seed(base: str, coordinator: str) -> Live:
    """The network every role works on, made through the API; tokens for the other roles."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {coordinator}"}) as client:

        def post(path: str, body: Any) -> dict[str, Any]:
            response = client.post(path, json=body)
            assert response.status_code == 201, response.text
            made: dict[str, Any] = response.json()
            return made

        own = post("/api/v1/units", unit_body("和平眼科医院"))["id"]
        other = post("/api/v1/units", unit_body("城管欧阳中队"))["id"]
        plan = post("/api/v1/plans", plan_body())["id"]
        slot = post(f"/api/v1/plans/{plan}/slots", {"category": "medical", "quantity": 5})["id"]
        assert client.post(f"/api/v1/plans/{plan}/publish").status_code == 200
        window = {key: plan_body()[key] for key in ("starts_at", "ends_at")}
        offer = post(f"/api/v1/units/{own}/offers", offer_body(availability=[window]))["id"]
        post(f"/api/v1/units/{other}/needs", need_body())
        made = post(
            "/api/v1/commitments", {"offer_id": offer, "quantity": 1, "plan_id": plan, "slot_id": slot}
        )
        auditor = post("/api/v1/tokens", {"role": "auditor", "label": "schemathesis"})["token"]
        liaison = post("/api/v1/tokens", {"role": "liaison", "unit_id": own, "label": "schemathesis"})[
            "token"
        ]
        # A fulfilled commitment (plan_body's window is past), for corrections to act on.
        as_liaison = {"Authorization": f"Bearer {liaison}"}
        path = f"/api/v1/commitments/{made['id']}"
        assert client.post(f"{path}/confirm", headers=as_liaison).status_code == 200
        done = client.post(
            f"{path}/fulfil", json={"people_served": 10, "volunteer_hours": 2}, headers=as_liaison
        )
        assert done.status_code == 200, done.text
    tokens = {"coordinator": coordinator, "auditor": auditor, "liaison": liaison}
    return Live(base=base, tokens=tokens, unit_id=own)


@pytest.fixture(scope="module")
def live_registry(server_dsn: str, template_database: str, run_prefix: str) -> Iterator[Live]:
    """A seeded registry served by uvicorn on loopback, and a token for each role."""
    with named_clone(server_dsn, template_database, f"{run_prefix}_schema") as dsn:
        token = asyncio.run(coordinator_token(dsn, "schemathesis"))
        with uvicorn_registry(dsn) as base:
            yield seed(base, token)


def closed_request_bodies(document: dict[str, Any]) -> dict[str, Any]:
    """The document with `additionalProperties: false` on every object a request body may hold.

    The API refuses unknown fields (API.md), but Litestar does not say so in the schemas it emits;
    without it, "valid" generated bodies carry random extra fields and are all refused.
    """
    closed = copy.deepcopy(document)
    components = closed["components"]["schemas"]
    pending = [
        op["requestBody"]
        for item in closed["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "requestBody" in op
    ]
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/components/schemas/") and ref not in seen:
                seen.add(ref)
                pending.append(components[ref.rpartition("/")[2]])
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
            pending.extend(node.values())
    return closed


def parameters_not_null(document: dict[str, Any]) -> dict[str, Any]:
    """The document without the `null` Litestar offers for optional parameters: a query or header
    value is text, never JSON null, and schemathesis would send the word "null" for it."""
    fixed = copy.deepcopy(document)
    for item in fixed["paths"].values():
        for op in item.values():
            for parameter in op.get("parameters", []) if isinstance(op, dict) else []:
                schema = parameter["schema"]
                arms = [arm for arm in schema.get("oneOf", []) if arm != {"type": "null"}]
                if len(arms) == 1 and len(schema["oneOf"]) == 2:
                    del schema["oneOf"]
                    schema.update(arms[0])
    return fixed


# The document the app serves at /schema/openapi.json, built without a database, amended as above.
SERVED = json.loads(
    encode_json(create_app(Settings(database_url="postgresql://unused")).openapi_schema.to_schema())
)
DOCUMENT: dict[str, Any] = parameters_not_null(closed_request_bodies(SERVED))
schema = schemathesis.openapi.from_dict(DOCUMENT)
# The coverage phase (every constraint met at its edges and broken once) is thorough and slow;
# the coordinator's run has it, the other roles' runs fuzz only: the input rules are the same for
# every role, what differs is which writes get past the guards.
fuzzed_schema = schemathesis.openapi.from_dict(
    DOCUMENT, config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}})
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def as_role(case: schemathesis.Case, live: Live, role: str) -> None:
    """A liaison acts on its own unit: its id in the paths that take a unit."""
    if role == "liaison" and "unit_id" in (case.path_parameters or {}):
        case.path_parameters = {**(case.path_parameters or {}), "unit_id": live.unit_id}


def call(case: schemathesis.Case, live: Live, role: str) -> None:
    as_role(case, live, role)
    case.call_and_validate(base_url=live.base, headers=live.headers(role), checks=CHECKS)


# One test per role: schemathesis makes one test item per operation, and runs each with its budget.
@schema.parametrize()
@settings(SETTINGS, max_examples=8)
def test_coordinator_conforms(case: schemathesis.Case, live_registry: Live) -> None:
    call(case, live_registry, "coordinator")


@fuzzed_schema.parametrize()
@settings(SETTINGS, max_examples=10)
def test_liaison_conforms(case: schemathesis.Case, live_registry: Live) -> None:
    call(case, live_registry, "liaison")


@fuzzed_schema.parametrize()
@settings(SETTINGS, max_examples=5)
def test_auditor_conforms(case: schemathesis.Case, live_registry: Live) -> None:
    call(case, live_registry, "auditor")


# -- stateful ----------------------------------------------------------------------------------------

# (source operation, status, target operation, parameters, requestBody): what inference leaves out.
LINKS = [
    ("draftPlan", "201", "addSlot", {"path.plan_id": "$response.body#/id"}, None),
    ("draftPlan", "201", "publishPlan", {"path.plan_id": "$response.body#/id"}, None),
    ("draftPlan", "201", "allocatePlan", {"path.plan_id": "$response.body#/id"}, None),
    ("publishPlan", "200", "allocatePlan", {"path.plan_id": "$response.body#/id"}, None),
    ("addSlot", "201", "makeCommitment", {},
     {"plan_id": "$response.body#/plan_id", "slot_id": "$response.body#/id"}),
    ("submitOffer", "201", "makeCommitment", {}, {"offer_id": "$response.body#/id"}),
    ("raiseNeed", "201", "makeCommitment", {}, {"need_id": "$response.body#/id"}),
    ("registerUnit", "201", "issueToken", {}, {"role": "liaison", "unit_id": "$response.body#/id"}),
    ("issueToken", "201", "revokeToken", {"path.token_id": "$response.body#/id"}, None),
    ("fulfilCommitment", "200", "correctFulfilment", {"path.commitment_id": "$response.body#/id"}, None),
    ("fulfilCommitment", "200", "requestCorrection", {"path.commitment_id": "$response.body#/id"}, None),
    ("makeCommitment", "201", "correctFulfilment", {"path.commitment_id": "$response.body#/id"}, None),
    ("listCommitments", "200", "correctFulfilment", {"path.commitment_id": "$response.body#/items/0/id"},
     None),
]  # fmt: skip


def with_links(document: dict[str, Any]) -> dict[str, Any]:
    """The document with LINKS added to the responses they start from."""
    linked = copy.deepcopy(document)
    operations = {
        op["operationId"]: op
        for item in linked["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for source, status, target, parameters, body in LINKS:
        link: dict[str, Any] = {"operationId": target, "parameters": parameters}
        if body is not None:
            link["requestBody"] = body
        operations[source]["responses"][status].setdefault("links", {})[f"{source}To{target}"] = link
    return linked


# Valid requests only: a chain goes deep only as long as each step succeeds (the stateless runs
# send the invalid ones).
linked_schema = schemathesis.openapi.from_dict(
    with_links(DOCUMENT),
    config=SchemathesisConfig.from_dict({"phases": {"stateful": {"generation": {"mode": "positive"}}}}),
)
STATEFUL_CHECKS = [*CHECKS, ensure_resource_availability]


@pytest.mark.parametrize(("role", "scenarios"), [("coordinator", 15), ("liaison", 8), ("auditor", 4)])
def test_stateful_runs_conform(live_registry: Live, role: str, scenarios: int) -> None:
    base, headers = live_registry.base, live_registry.headers(role)

    class Workflow(linked_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            as_role(case, live_registry, role)
            return {"base_url": base, "headers": headers}

        def validate_response(
            self, response: Any, case: schemathesis.Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response, checks=STATEFUL_CHECKS, transport_kwargs=kwargs, recorder=self.recorder
            )

    Workflow.run(
        settings=settings(SETTINGS, max_examples=scenarios, stateful_step_count=8, phases=[Phase.generate])
    )
