"""A unit's name is unique in its area: as written, normalised (NFC, trimmed), and compared by its
key (NFKC, case-folded, invisible characters dropped, spaces collapsed); a second unit with it is
409 naming the first; a rename keeps the rule and frees the old name; two registrations at once
give one unit, whichever process they run in."""

from __future__ import annotations

import asyncio
import unicodedata
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from registry.app import open_registry
from registry.domain.errors import Conflict
from registry.domain.unit import RegisterUnit, UpdateUnitProfile
from registry.domain.values import UnitKind
from registry.service import commands
from registry.service.aggregates import UNITS
from registry.service.execute import Registry
from registry.settings import Settings
from tests.api_fixtures import CLI, Api, unit_body

AREA = "虹口区/欧阳路街道"


async def register(api: Api, name: str, area: str = AREA) -> Any:
    return await api.post("/api/v1/units", unit_body(name, area))


async def test_a_second_unit_with_the_name_in_the_area_is_409_naming_the_first(api: Api) -> None:
    first = await register(api, "欧阳路社区卫生服务中心")
    assert first.status_code == 201, first.text
    again = await register(api, "欧阳路社区卫生服务中心")
    assert again.status_code == 409, again.text
    assert first.json()["id"] in again.json()["detail"]


@pytest.mark.parametrize(
    "same",
    [
        "  Ouyang Clinic\u3000",  # spaces, the ideographic one included, trimmed
        "\u200bOuyang Clinic\ufeff",  # zero-width space and BOM at the ends
        "OUYANG clinic",  # case
        "Ｏｕｙａｎｇ Ｃｌｉｎｉｃ",  # full-width letters
        "Ouyang  Clinic",  # a run of spaces
        "Ouyang\u00a0Clinic",  # a no-break space
    ],
)
async def test_names_that_read_the_same_are_the_same_name(api: Api, same: str) -> None:
    assert (await register(api, "Ouyang Clinic")).status_code == 201
    again = await register(api, same)
    assert again.status_code == 409, again.text


async def test_a_name_is_stored_nfc_and_trimmed(api: Api) -> None:
    decomposed = unicodedata.normalize("NFD", "Café Émile")
    made = await register(api, f" \u3000{decomposed}\u200b ")
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "Café Émile"
    again = await register(api, "café émile")
    assert again.status_code == 409 and made.json()["id"] in again.json()["detail"]


async def test_the_same_name_in_another_area_is_a_different_unit(api: Api) -> None:
    assert (await register(api, "社区食堂")).status_code == 201
    assert (await register(api, "社区食堂", "虹口区/曲阳路街道")).status_code == 201


async def test_a_rename_onto_another_units_name_is_409_and_frees_its_own(api: Api) -> None:
    first = (await register(api, "甲单位")).json()
    second = (await register(api, "乙单位")).json()
    onto = await api.patch(f"/api/v1/units/{second['id']}", {"name": " 甲单位 "})
    assert onto.status_code == 409 and first["id"] in onto.json()["detail"]
    moved = await api.patch(f"/api/v1/units/{first['id']}", {"name": "丙单位"})
    assert moved.status_code == 200, moved.text
    # The old name is free again; the new one is held.
    assert (await api.patch(f"/api/v1/units/{second['id']}", {"name": "甲单位"})).status_code == 200
    assert (await register(api, "丙单位")).status_code == 409


async def test_moving_a_unit_to_an_area_where_its_name_is_taken_is_409(api: Api) -> None:
    there = (await register(api, "丁单位", "虹口区/曲阳路街道")).json()
    here = (await register(api, "丁单位")).json()
    moved = await api.patch(f"/api/v1/units/{here['id']}", {"area": "虹口区/曲阳路街道"})
    assert moved.status_code == 409 and there["id"] in moved.json()["detail"]
    # Its own name in another case is no clash with itself.
    assert (await api.patch(f"/api/v1/units/{here['id']}", {"name": "丁单位 "})).status_code == 200


async def test_a_unit_registered_before_names_were_held_keeps_its_name(api: Api) -> None:
    """A unit whose registration claimed no name (as every unit before the rule) is still found."""
    legacy = RegisterUnit(unit_id=uuid.uuid4(), name="老单位", kind=UnitKind.AGENCY, area=AREA)
    await api.registry.execute(UNITS, legacy.unit_id, legacy, CLI, creates=True)
    again = await register(api, "老单位")
    assert again.status_code == 409 and str(legacy.unit_id) in again.json()["detail"]


# -- at once, in two processes ---------------------------------------------------------------------


@pytest.fixture
async def two_processes(database_dsn: str) -> AsyncIterator[tuple[Registry, Registry]]:
    here = await open_registry(Settings(database_url=database_dsn))
    there = await open_registry(Settings(database_url=database_dsn))
    try:
        yield here, there
    finally:
        await there.close()
        await here.close()


def append_together(registries: tuple[Registry, ...]) -> None:
    """Each registry's first append waits until every one has decided: the race, made certain."""
    together = asyncio.Barrier(len(registries))
    for registry in registries:
        append, waited = registry.store.append_many, []

        async def after_the_others(*args: Any, _append: Any = append, _waited: Any = waited) -> Any:
            if not _waited:
                _waited.append(True)
                await asyncio.wait_for(together.wait(), 30)
            return await _append(*args)

        registry.store.append_many = after_the_others  # type: ignore[method-assign]


async def test_two_registrations_at_once_give_one_unit(two_processes: tuple[Registry, Registry]) -> None:
    append_together(two_processes)

    async def attempt(registry: Registry) -> uuid.UUID | Conflict:
        cmd = RegisterUnit(unit_id=uuid.uuid4(), name="同名单位", kind=UnitKind.ENTERPRISE, area=AREA)
        try:
            return (await commands.register_unit(registry, CLI, cmd)).entity_id
        except Conflict as refused:
            return refused

    outcomes = await asyncio.gather(*(attempt(r) for r in two_processes))
    made = [o for o in outcomes if isinstance(o, uuid.UUID)]
    refused = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert str(made[0]) in str(refused[0])


async def test_two_renames_onto_one_name_at_once_leave_one_holder(
    two_processes: tuple[Registry, Registry],
) -> None:
    here, _ = two_processes
    ids = []
    for name in ("戊单位", "己单位"):
        cmd = RegisterUnit(unit_id=uuid.uuid4(), name=name, kind=UnitKind.ENTERPRISE, area=AREA)
        ids.append((await commands.register_unit(here, CLI, cmd)).entity_id)
    append_together(two_processes)

    async def rename(registry: Registry, unit_id: uuid.UUID) -> bool:
        try:
            await commands.update_unit(registry, CLI, UpdateUnitProfile(unit_id=unit_id, name="庚单位"))
        except Conflict:
            return False
        return True

    renamed = await asyncio.gather(*(rename(r, i) for r, i in zip(two_processes, ids, strict=True)))
    assert sorted(renamed) == [False, True]
