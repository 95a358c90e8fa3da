"""A process folds each stream once: later loads read only what was appended since.

The states a Registry keeps by stream and version must never answer for a stream that moved:
written through another Registry (another process), the next load still sees every change, as a
fresh fold from the first event does.
"""

from __future__ import annotations

import uuid

import pytest

from registry.app import open_registry
from registry.domain import unit
from registry.domain.errors import NotFound
from registry.domain.values import UnitKind
from registry.service import commands
from registry.service.aggregates import UNITS
from registry.service.states import StateCache
from registry.settings import Settings
from tests.api_fixtures import CLI


async def test_a_load_after_another_process_wrote_sees_every_change(database_dsn: str) -> None:
    settings = Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=2)
    here, there = await open_registry(settings), await open_registry(settings)
    try:
        unit_id = uuid.uuid4()
        register = unit.RegisterUnit(
            unit_id=unit_id, name="和平眼科医院", kind=UnitKind.PUBLIC_INSTITUTION, area="虹口区"
        )
        await commands.register_unit(here, CLI, register)
        state, version = await here.load(UNITS, unit_id)
        assert (state.name, version) == ("和平眼科医院", 1)
        for n in range(3):
            change = unit.UpdateUnitProfile(unit_id=unit_id, description=f"第{n}次修订")
            await commands.update_unit(there, CLI, change)
        cached, cached_version = await here.load(UNITS, unit_id)
        fresh, fresh_version = await open_and_load(settings, unit_id)
        assert (cached, cached_version) == (fresh, fresh_version)
        assert (cached.description, cached_version) == ("第2次修订", 4)
    finally:
        await here.close()
        await there.close()


async def open_and_load(settings: Settings, unit_id: uuid.UUID) -> tuple[object, int]:
    registry = await open_registry(settings)
    try:
        return await registry.load(UNITS, unit_id)
    finally:
        await registry.close()


def test_the_cache_keeps_the_latest_version_and_forgets_the_least_recently_used() -> None:
    cache = StateCache(capacity=2)
    cache.keep("a", 3, "a3")
    cache.keep("a", 2, "a2")  # an older fold (a slower request) never replaces a newer one
    assert cache.get("a") == (3, "a3")
    cache.keep("b", 1, "b1")
    cache.get("a")
    cache.keep("c", 1, "c1")  # b was used least recently
    assert cache.get("b") == (0, None) and cache.get("a") == (3, "a3") and cache.get("c") == (1, "c1")
    cache.keep("d", 0, None)  # nothing folded: nothing kept
    assert cache.get("d") == (0, None)


def test_the_cache_holds_a_busy_subdistricts_working_set_without_forgetting_any() -> None:
    # Under `bench.load` a minute makes ~7,000 offers, needs and commitments; with room for
    # 1,000 a revision of an offer of a few minutes ago found it forgotten and read its stream.
    cache = StateCache()
    for stream in range(7_000):
        cache.keep(stream, 1, "state")
    assert cache.get(0) == (1, "state")


async def test_a_unit_once_seen_is_known_to_exist_without_asking_the_database_again(
    database_dsn: str,
) -> None:
    # Submitting an offer or raising a need checks its unit; under load each question is a wait
    # for a pooled connection. A stream's events are never removed, so a yes holds for good; a
    # no is asked again (the unit may be registered meanwhile).
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=1))
    asked: list[str] = []
    try:
        async with registry.store.pool.acquire() as conn:  # the pool's only connection
            conn.add_query_logger(lambda record: asked.append(record.query))
        unit_id = uuid.uuid4()
        with pytest.raises(NotFound):
            await commands.require_unit_exists(registry, unit_id)
        register = unit.RegisterUnit(
            unit_id=unit_id, name="和平眼科医院", kind=UnitKind.PUBLIC_INSTITUTION, area="虹口区"
        )
        await commands.register_unit(registry, CLI, register)
        await commands.require_unit_exists(registry, unit_id)  # asked: now it exists
        asked.clear()
        await commands.require_unit_exists(registry, unit_id)
        assert asked == []
    finally:
        await registry.close()
