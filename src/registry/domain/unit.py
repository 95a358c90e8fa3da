"""Unit (共建单位): a co-building unit's profile."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec
from msgspec import UNSET, UnsetType

from registry.domain.errors import Conflict
from registry.domain.events import Event, UnitProfileUpdated, UnitRegistered
from registry.domain.revision import changed_fields
from registry.domain.values import UnitKind


class Unit(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    name: str
    short_name: str | None
    kind: UnitKind
    area: str
    address: str | None
    party_org: str | None
    description: str | None
    agreement_until: date | None
    status: str = "active"


class RegisterUnit(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID
    name: str
    short_name: str | None = None
    kind: UnitKind
    area: str
    address: str | None = None
    party_org: str | None = None
    description: str | None = None
    agreement_until: date | None = None


class UpdateUnitProfile(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID
    name: str | UnsetType = UNSET
    short_name: str | UnsetType | None = UNSET
    kind: UnitKind | UnsetType = UNSET
    area: str | UnsetType = UNSET
    address: str | UnsetType | None = UNSET
    party_org: str | UnsetType | None = UNSET
    description: str | UnsetType | None = UNSET
    agreement_until: date | UnsetType | None = UNSET


def decide(state: Unit | None, command: RegisterUnit | UpdateUnitProfile) -> list[Event]:
    if isinstance(command, RegisterUnit):
        if state is not None:
            raise Conflict(f"unit {command.unit_id} is already registered")
        return [UnitRegistered(**msgspec.structs.asdict(command))]
    if state is None:
        raise Conflict(f"unit {command.unit_id} is not registered")
    changes = changed_fields(state, command)
    return [UnitProfileUpdated(unit_id=command.unit_id, **changes)] if changes else []


def evolve(state: Unit | None, event: Event) -> Unit | None:
    if isinstance(event, UnitRegistered):
        fields = msgspec.structs.asdict(event)
        return Unit(id=fields.pop("unit_id"), **fields)
    if isinstance(event, UnitProfileUpdated) and state is not None:
        return msgspec.structs.replace(state, **changed_fields(state, event))
    return state
