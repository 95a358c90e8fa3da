"""A unit's name in its area: held by one unit at a time, so two units never share a name there.

A read-model check before registering races (two registrations both see no such name, both
land). Each (area, name) pair has a stream of its own instead, whose id is derived from the pair's
key: the unit's registration and the claim are appended together, the claim expecting the version
read (none, for a name never held), so of two simultaneous registrations one append wins and the
other, decided again, finds the name taken. A rename releases the old name's stream and claims the
new one in the same append.
"""

from __future__ import annotations

import uuid

import msgspec

from registry.domain.errors import Conflict
from registry.domain.events import Event, UnitNameClaimed, UnitNameReleased
from registry.domain.text import name_key

# Fixed for good: the stream of an (area, name) pair is derived from it.
_NAMESPACE = uuid.UUID("6f1d1c3e-8a52-4f0e-9d0b-5c2a7e3b9f41")


def name_id(area: str, name: str) -> uuid.UUID:
    """The id of the stream holding `name` in `area` (names and areas compared by `name_key`)."""
    return uuid.uuid5(_NAMESPACE, f"{name_key(area)}\n{name_key(name)}")


class NameHold(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID
    area: str
    name: str


class ClaimName(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID
    area: str
    name: str


class ReleaseName(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID


def decide(state: NameHold | None, command: ClaimName | ReleaseName) -> list[Event]:
    if isinstance(command, ClaimName):
        if state is None:
            return [UnitNameClaimed(unit_id=command.unit_id, area=command.area, name=command.name)]
        if state.unit_id != command.unit_id:
            raise taken(state.unit_id, state.name, state.area)
        return []
    if state is None or state.unit_id != command.unit_id:
        return []
    return [UnitNameReleased(unit_id=command.unit_id)]


def taken(holder: uuid.UUID, name: str, area: str) -> Conflict:
    return Conflict(f"unit {holder} is already named {name!r} in {area}")


def evolve(state: NameHold | None, event: Event) -> NameHold | None:
    if isinstance(event, UnitNameClaimed):
        return NameHold(unit_id=event.unit_id, area=event.area, name=event.name)
    if isinstance(event, UnitNameReleased):
        return None
    return state
