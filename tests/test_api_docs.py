"""The OpenAPI document documents the API: read from /schema/openapi.json as a client reads it.

Every operation has a summary and a description that names who may call it (exactly the roles
its guard lets through), what it changes, and its error statuses (each one documented among its
responses); every one but the open ones takes the declared bearer scheme. Every request-body
example decodes, strictly, into the route's own request type and passes its `check()`, so an
example the API would refuse fails here. /schema's pages have a CSP of their own: scripts from
'self' only, which the vendored Swagger UI is.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import msgspec
import pytest
import pytest_asyncio
from litestar import Litestar

from registry.api.docs import roles_of
from registry.domain.errors import InvalidInput
from registry.domain.values import Role
from registry.edge.auth import allow
from tests.api_fixtures import Api, cloned_database, serving_api

OPEN = {"health", "ready"}
ROLE_WORDS = {Role.COORDINATOR: "a coordinator", Role.LIAISON: "a unit's liaison", Role.AUDITOR: "an auditor"}
METHODS = {"get", "post", "patch", "put", "delete"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(server_dsn: str, template_database: str, run_prefix: str) -> AsyncIterator[Api]:
    async with (
        cloned_database(server_dsn, template_database, f"{run_prefix}_docs") as dsn,
        serving_api(dsn) as api,
    ):
        yield api


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def document(shared: Api) -> dict[str, Any]:
    response = await shared.get("/schema/openapi.json", who="nobody")
    assert response.status_code == 200, response.text
    served: dict[str, Any] = response.json()
    return served


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield f"{method.upper()} {path}", operation


def _handlers(app: Litestar) -> dict[str, Any]:
    """Each route handler by its operation id."""
    return {
        handler.operation_id: handler
        for route in app.routes
        for handler in getattr(route, "route_handlers", [])
        if isinstance(handler.operation_id, str)
    }


def _guard(handler: Any) -> allow | None:
    guards = [g for g in handler.guards or [] if isinstance(g, allow)]
    assert len(guards) <= 1, handler.operation_id
    return guards[0] if guards else None


@pytest.mark.asyncio(loop_scope="module")
async def test_the_bearer_scheme_is_declared(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"]["type"] == "http"
    assert schemes["bearer"]["scheme"] == "bearer"


@pytest.mark.asyncio(loop_scope="module")
async def test_every_operation_says_who_what_and_which_errors(document: dict[str, Any], shared: Api) -> None:
    handlers = _handlers(shared.app)
    operations = list(_operations(document))
    assert len(operations) > 40
    for name, operation in operations:
        assert operation.get("summary"), name
        description = operation.get("description", "")
        assert "**Who may call it:**" in description, name
        assert "**What it changes:**" in description, name
        assert "**Errors:**" in description, name
        statuses = set(re.findall(r"^- `(\d{3})`:", description, re.M))
        assert statuses <= set(operation["responses"]), f"{name}: {statuses - set(operation['responses'])}"
        op_id = operation["operationId"]
        if op_id in OPEN:
            assert "security" not in operation, name
            continue
        assert {"bearer": []} in operation["security"], name
        if op_id == "metrics":
            continue  # its own token, documented in its description
        who = description.split("**Who may call it:** ", 1)[1].split(".\n", 1)[0].split(" — ", 1)[0]
        named = {role for role, words in ROLE_WORDS.items() if words in who}
        assert named == set(roles_of(_guard(handlers[op_id]))), f"{name}: says {who!r}"
        assert {"401", "429", "503"} <= statuses, name


@pytest.mark.asyncio(loop_scope="module")
async def test_open_operations_are_the_health_checks_only(document: dict[str, Any]) -> None:
    open_ones = {op["operationId"] for _, op in _operations(document) if "security" not in op}
    assert open_ones == OPEN


def _examples(operation: dict[str, Any]) -> list[Any]:
    body = operation.get("requestBody")
    if body is None:
        return []
    schema = body["content"]["application/json"]["schema"]
    found: list[Any] = schema.get("examples", [])
    return found


def _refusal(example: Any, type_: Any) -> str | None:
    """Why the API would refuse `example` as a body of `type_` (None: it takes it)."""
    try:
        decoded = msgspec.json.decode(msgspec.json.encode(example), type=type_, strict=True)
    except msgspec.ValidationError as error:
        return str(error)
    check = getattr(decoded, "check", None)
    if check is not None:
        try:
            check()
        except InvalidInput as error:
            return str(error)
    return None


@pytest.mark.asyncio(loop_scope="module")
async def test_every_request_body_has_examples_the_api_takes(document: dict[str, Any], shared: Api) -> None:
    handlers = _handlers(shared.app)
    bodies = 0
    for name, operation in _operations(document):
        if "requestBody" not in operation:
            continue
        bodies += 1
        examples = _examples(operation)
        assert examples, f"{name} has no example"
        type_ = handlers[operation["operationId"]].parsed_fn_signature.parameters["data"].annotation
        for example in examples:
            assert _refusal(example, type_) is None, f"{name}: {example}: {_refusal(example, type_)}"
    assert bodies >= 20


@pytest.mark.asyncio(loop_scope="module")
async def test_a_wrong_example_would_be_caught(shared: Api) -> None:
    handlers = _handlers(shared.app)
    unit = handlers["registerUnit"].parsed_fn_signature.parameters["data"].annotation
    token = handlers["issueToken"].parsed_fn_signature.parameters["data"].annotation
    assert _refusal({"name": "欧阳路", "kind": "agency"}, unit)  # no area: the decode refuses
    assert _refusal({"name": "欧阳路", "kind": "agency", "area": "虹口区", "colour": "red"}, unit)
    assert _refusal({"role": "liaison"}, token)  # a liaison's token without its unit: check() refuses


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("address", ["/schema", "/schema/swagger"])
async def test_the_docs_pages_run_only_their_own_scripts(shared: Api, address: str) -> None:
    response = await shared.get(address, who="nobody")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "default-src 'self'" in policy
    scripts = re.findall(r"<script[^>]*src='([^']+)'", response.text)
    assert scripts, response.text
    assert all(src.startswith("/static/swagger/") for src in scripts), scripts
    assert "<script>" not in response.text.replace(" ", "")  # nothing inline
    for src in scripts:
        asset = await shared.get(src, who="nobody")
        assert asset.status_code == 200, src
        assert "javascript" in asset.headers["content-type"], src
