"""The Ouyang Road demo as the page and browser tests use it: loaded once per run into a template
database (with the cast's tokens), then cloned for each module that asks for it.

A load runs every command of the demo and an allocation (about 2.4 s); a clone copies the files
(about 0.15 s). Each module still gets a database of its own, equal to a fresh load: the load
reads no clock, and what one module writes never reaches another's clone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import msgspec
import pytest

from registry.app import open_registry
from registry.demo.load import demo_id, load_demo
from registry.demo.network import TRAINING
from registry.domain.values import Role
from registry.matching.config import MatchConfig
from registry.read.board import read_plan_board
from registry.service import commands
from registry.service.aggregates import UNITS
from registry.settings import Settings
from tests.api_fixtures import CLI, named_clone

TRAINING_ID = demo_id("plan", TRAINING.key)


class Demo(msgspec.Struct, kw_only=True):
    dsn: str
    coordinator: str
    auditor: str
    # The training's best candidate: its offer's title, its unit's name and its liaison's token.
    offer_title: str
    unit_name: str
    liaison: str


class DemoTemplate(msgspec.Struct, frozen=True, kw_only=True):
    database: str  # never connected to once loaded: PostgreSQL clones only an unused database
    demo: Demo


async def _load(dsn: str) -> Demo:
    registry = await open_registry(Settings(database_url=dsn, pool_min_size=1, pool_max_size=4))
    try:
        await load_demo(registry, MatchConfig())
        _, board = await read_plan_board(registry.list_pool, TRAINING_ID, None, MatchConfig())
        best = board.demands[0].candidates[0].offer
        unit, _ = await registry.load(UNITS, best.unit_id)
        _, coordinator = await commands.issue_token(registry, CLI, Role.COORDINATOR, None, "pages")
        _, auditor = await commands.issue_token(registry, CLI, Role.AUDITOR, None, "pages")
        _, liaison = await commands.issue_token(registry, CLI, Role.LIAISON, best.unit_id, "pages")
        return Demo(
            dsn=dsn, coordinator=coordinator, auditor=auditor, offer_title=best.title,
            unit_name=unit.name, liaison=liaison,
        )  # fmt: skip
    finally:
        await registry.close()


@pytest.fixture(scope="session")
def demo_template(server_dsn: str, template_database: str, run_prefix: str) -> Iterator[DemoTemplate]:
    """The demo loaded (the fair closed, the training open) and the cast's tokens issued, once."""
    name = f"{run_prefix}_demo_template"
    with named_clone(server_dsn, template_database, name) as dsn:
        demo = asyncio.run(_load(dsn))
        yield DemoTemplate(database=name, demo=demo)


def demo_database(server_dsn: str, template: DemoTemplate, name: str) -> Iterator[Demo]:
    """A database of its own named `name`, with the demo loaded and the cast's tokens."""
    with named_clone(server_dsn, template.database, name) as dsn:
        yield msgspec.structs.replace(template.demo, dsn=dsn)
