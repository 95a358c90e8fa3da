"""The Ouyang Road demo: `registry demo` loads the newsletter's network, staffs and closes the autumn
fair with the newsletter's numbers, prints the board and the report, and a second run changes nothing.
`serve --demo` loads it only into an empty registry."""

from __future__ import annotations

import re
import uuid

import pytest
from click.testing import CliRunner

from events.runner import ProjectionRunner
from registry.app import open_registry
from registry.demo.load import (
    COORDINATOR,
    FAIR_ID,
    demo_id,
    fair_outcomes,
    is_empty,
    load_demo,
    load_if_empty,
    share,
)
from registry.demo.network import (
    FAIR,
    NEEDS,
    NEWSLETTER_PEOPLE_SERVED,
    NEWSLETTER_SERVICE_ITEMS,
    OFFERS,
    PLANS,
    PLEDGES,
    UNITS,
)
from registry.domain import unit
from registry.domain.taxonomy import is_known
from registry.domain.values import Role, UnitKind
from registry.matching.config import MatchConfig
from registry.read.projection import read_model_projection
from registry.read.reports import plan_report
from registry.service import commands
from registry.service.aggregates import NEEDS as NEED_STREAMS
from registry.service.allocations import AssignmentOut
from registry.service.context import Command
from registry.settings import Settings

FAIR_PEOPLE = sum(s.people_served for s in FAIR.slots)
# The fair's co-hosts: the centre and the nine units the newsletter names (or "等") that run booths.
FAIR_UNITS = 10


def _number(output: str, label: str) -> int:
    found = re.search(rf"{label}\s+\S+\s+(\d+)", output)
    assert found, f"{label!r} not in the output:\n{output}"
    return int(found.group(1))


def _head(output: str) -> str:
    found = re.search(r"log head: position (\d+), hash ([0-9a-f]{64})", output)
    assert found, output
    return found.group(0)


def test_the_data_says_what_the_newsletter_says() -> None:
    assert len(FAIR.slots) > NEWSLETTER_SERVICE_ITEMS  # "20 余项服务项目"
    assert NEWSLETTER_PEOPLE_SERVED < FAIR_PEOPLE < NEWSLETTER_PEOPLE_SERVED + 10  # "约 200 余人次"
    assert FAIR.title == "先锋上海·四季行动（秋收篇）" and FAIR.starts_at.isoweekday() == 6
    names = {u.name for u in UNITS}
    for real in (
        "欧阳路街道社区党群服务中心",
        "鲁迅公园党群服务站",
        "长海医院虹口院区",
        "地铁10号线邮电新村站",
    ):
        assert real in names
    categories = [o.category for o in OFFERS] + [n.category for n in NEEDS]
    categories += [s.category for p in PLANS for s in p.slots]
    assert all(is_known(c) for c in categories), [c for c in categories if not is_known(c)]
    keys = {u.key for u in UNITS}
    assert all(o.unit in keys for o in OFFERS) and all(n.unit in keys for n in NEEDS)
    contacts = [c for u in UNITS for c in u.contacts]
    assert all("（示例）" in c.name and c.phone.startswith("138-0000-") for c in contacts)
    assert len({c.phone for c in contacts}) == len(contacts)
    metro_need = next(n for n in NEEDS if n.unit == "metro")
    assert sum(p.quantity for p in PLEDGES if p.need == metro_need.key) == metro_need.quantity


def test_share_splits_a_total_into_whole_parts_that_add_up() -> None:
    assert share(22, [1, 1]) == [11, 11]
    assert share(7, [2, 1]) == [5, 2]
    assert share(5, [1, 1, 1]) == [2, 2, 1]
    assert share(3, []) == [] and share(0, [1, 2]) == [0, 0]


def test_a_slot_split_between_two_offers_shares_its_outcome() -> None:
    slot = next(s for s in FAIR.slots if s.quantity == 2)
    slot_id = demo_id("slot", f"{FAIR.key}/{slot.key}")
    split = [
        AssignmentOut(slot_id=slot_id, offer_id=uuid.uuid4(), unit_id=uuid.uuid4(), quantity=1, score=0.5)
        for _ in range(2)
    ]
    outcomes = fair_outcomes(split)
    assert [people for _, people, _ in outcomes] == share(slot.people_served, [1, 1])
    assert sum(people for _, people, _ in outcomes) == slot.people_served


def test_registry_demo_prints_the_newsletters_numbers_and_a_second_run_changes_nothing(
    database_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_dsn)
    cli = CliRunner()
    from registry.cli import main

    first = cli.invoke(main, ["demo"])
    assert first.exit_code == 0, first.output + repr(first.exception)
    out = first.output
    assert _number(out, "service items run") == len(FAIR.slots) >= 20
    assert _number(out, "people served") == FAIR_PEOPLE
    assert _number(out, "units involved") == FAIR_UNITS
    assert "completed" in out
    # The board: every slot with scored candidates, the dispatched one marked.
    assert "match board" in out
    eye_row = next(line for line in out.splitlines() if "medical.eye-screening" in line)
    assert re.search(r"\*和平眼科医院 0\.\d{3}", eye_row), eye_row
    # The metro station's need is met by the units that claimed it.
    need_row = next(line for line in out.splitlines() if "客流引导" in line)
    assert "met" in need_row and "邮电居民区" in need_row

    second = cli.invoke(main, ["demo"])
    assert second.exit_code == 0, second.output + repr(second.exception)
    assert _head(second.output) == _head(out)
    for label in ("service items run", "people served", "units involved"):
        assert _number(second.output, label) == _number(out, label)
    assert second.output == out


async def test_the_demo_leaves_a_verified_log_and_a_read_model_equal_to_a_rebuild(database_dsn: str) -> None:
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=4))
    try:
        config = MatchConfig()
        allocation = await load_demo(registry, config)
        assert allocation.unmet == [] and len(allocation.assignments) >= len(FAIR.slots)
        head = await registry.store.head()
        report = await plan_report(registry.list_pool, FAIR_ID, None)
        assert (report.status, report.service_items, report.people_served) == (
            "completed", len(FAIR.slots), FAIR_PEOPLE,
        )  # fmt: skip
        assert report.log_position == head[0] and report.head_hash == head[1]
        metro_need, _ = await registry.load(NEED_STREAMS, demo_id("need", "metro/ciie-crowd-guidance"))
        assert metro_need.status == "met" and metro_need.met_quantity == metro_need.quantity

        again = await load_demo(registry, config)
        assert again == allocation
        assert await registry.store.head() == head

        verified = await registry.store.verify()
        assert verified.ok and verified.checked == head[0]
        runner = ProjectionRunner(registry.store, [read_model_projection()], name="registry")
        assert await runner.check(read_model_projection()) == []
    finally:
        await registry.close()


async def test_serve_demo_loads_only_into_an_empty_registry(database_dsn: str) -> None:
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=4))
    try:
        assert await is_empty(registry.store)
        # A coordinator's token may come before the demo: the registry is still empty.
        await commands.issue_token(registry, Command(actor=COORDINATOR), Role.COORDINATOR, None, "first")
        assert await is_empty(registry.store)
        assert await load_if_empty(registry, MatchConfig()) is not None
        assert not await is_empty(registry.store)
        head = await registry.store.head()
        assert await load_if_empty(registry, MatchConfig()) is None
        assert await registry.store.head() == head
    finally:
        await registry.close()


async def test_serve_demo_leaves_a_registry_with_real_units_alone(database_dsn: str) -> None:
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=4))
    try:
        real = unit.RegisterUnit(
            unit_id=uuid.uuid4(), name="城管欧阳中队", kind=UnitKind.AGENCY, area="虹口区"
        )
        await commands.register_unit(registry, Command(actor=COORDINATOR), real)
        head = await registry.store.head()
        assert not await is_empty(registry.store)
        assert await load_if_empty(registry, MatchConfig()) is None
        assert await registry.store.head() == head
    finally:
        await registry.close()
