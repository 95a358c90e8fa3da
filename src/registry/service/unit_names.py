"""Holding a unit's name in its area, inside the unit of work that registers or renames the unit."""

from __future__ import annotations

import uuid

import msgspec

from registry.domain import unit_name
from registry.domain.text import name_key
from registry.read.queries import UnitFilter, list_units
from registry.service.aggregates import UNIT_NAMES
from registry.service.execute import Registry
from registry.service.work import UnitOfWork

Named = tuple[str, str]  # (area, name)


async def hold_name(uow: UnitOfWork, unit_id: uuid.UUID, old: Named | None, new: Named) -> None:
    """Release `old` (if the key changes) and claim `new` for the unit, or raise Conflict naming
    the unit that has it. Both streams join the unit of work: the append expects what was read."""
    new_id = unit_name.name_id(*new)
    if old is not None:
        old_id = unit_name.name_id(*old)
        if old_id == new_id:
            return
        held = await uow.load(UNIT_NAMES, old_id)
        uow.emit(UNIT_NAMES, old_id, unit_name.decide(held, unit_name.ReleaseName(unit_id=unit_id)))
    holder = await uow.load(UNIT_NAMES, new_id)
    area, name = new
    if holder is None and uow.version_of(UNIT_NAMES, new_id) == 0:
        # Never held since the rule began: a unit registered before it may still have the name.
        earlier = await _registered_before_the_rule(uow.registry, area, name, unit_id)
        if earlier is not None:
            raise unit_name.taken(earlier, name, area)
    claim = unit_name.ClaimName(unit_id=unit_id, area=area, name=name)
    uow.emit(UNIT_NAMES, new_id, unit_name.decide(holder, claim))


class _Named(msgspec.Struct, frozen=True):
    id: uuid.UUID
    name: str
    area: str


_decode = msgspec.json.Decoder(_Named).decode
_PAGE = 500


async def _registered_before_the_rule(
    registry: Registry, area: str, name: str, unit_id: uuid.UUID
) -> uuid.UUID | None:
    """Another unit of the read model with the name in the area. Only units registered before
    names were held can be found here without a stream: every later one claimed its name."""
    key, after = name_key(name), 0
    while True:
        page = await list_units(registry.list_pool, UnitFilter(area=area), None, after, _PAGE)
        for doc in map(_decode, page.docs):
            if doc.id != unit_id and doc.area == area and name_key(doc.name) == key:
                return doc.id
        if page.last is None:
            return None
        after = page.last
