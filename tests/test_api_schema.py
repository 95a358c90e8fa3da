"""schemathesis against the OpenAPI document, with a coordinator token: no 5xx, responses conform.

The app runs under uvicorn on loopback against its own database, as in production; the data
the run creates stays for later operations to find (ids in paths are mostly random, so most
reads of one entity are 404s, which must be documented problems too).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from litestar.serialization import encode_json
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from registry.app import create_app, open_registry
from registry.database import with_database
from registry.domain.values import Role
from registry.service import commands
from registry.settings import Settings
from tests.api_fixtures import CLI
from tests.conftest import _admin
from tests.helpers import uvicorn_registry


@pytest.fixture(scope="module")
def live_registry(server_dsn: str, template_database: str, run_prefix: str) -> Iterator[tuple[str, str]]:
    """A registry served by uvicorn on loopback, and a coordinator token for it."""
    name = f"{run_prefix}_schema"
    _admin(
        server_dsn, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name} TEMPLATE {template_database}"
    )
    dsn = with_database(server_dsn, name)

    async def coordinator_token() -> str:
        registry = await open_registry(Settings(database_url=dsn))
        try:
            _, secret = await commands.issue_token(registry, CLI, Role.COORDINATOR, None, "schemathesis")
            return secret
        finally:
            await registry.close()

    token = asyncio.run(coordinator_token())
    with uvicorn_registry(dsn) as base:
        yield base, token
    _admin(server_dsn, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# The document the app serves at /schema/openapi.json, built without a database.
schema = schemathesis.openapi.from_dict(
    json.loads(
        encode_json(create_app(Settings(database_url="postgresql://unused")).openapi_schema.to_schema())
    )
)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, live_registry: tuple[str, str]
) -> None:
    base, token = live_registry
    case.call_and_validate(base_url=base, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
