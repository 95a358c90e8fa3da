"""Unit (共建单位): a co-building unit's profile."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec
from msgspec import UNSET, UnsetType

from registry.domain.errors import Conflict
from registry.domain.events import ContactAdded, ContactErased, Event, UnitProfileUpdated, UnitRegistered
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
    contacts: list[ContactRef] = []


class ContactRef(msgspec.Struct, frozen=True, kw_only=True):
    """A contact as the log knows it: an id and a title; who they are is kept outside the log."""

    id: uuid.UUID
    title: str | None
    erased: bool = False


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


class AddContact(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID
    contact_id: uuid.UUID
    title: str | None = None


class EraseContact(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID
    contact_id: uuid.UUID


UnitCommand = RegisterUnit | UpdateUnitProfile | AddContact | EraseContact


def decide(state: Unit | None, command: UnitCommand) -> list[Event]:
    if isinstance(command, RegisterUnit):
        if state is not None:
            raise Conflict(f"unit {command.unit_id} is already registered")
        return [UnitRegistered(**msgspec.structs.asdict(command))]
    if state is None:
        raise Conflict(f"unit {command.unit_id} is not registered")
    known = {c.id: c for c in state.contacts}
    if isinstance(command, AddContact):
        if command.contact_id in known:
            return []
        return [ContactAdded(unit_id=state.id, contact_id=command.contact_id, title=command.title)]
    if isinstance(command, EraseContact):
        if command.contact_id not in known or known[command.contact_id].erased:
            return []
        return [ContactErased(unit_id=state.id, contact_id=command.contact_id)]
    changes = changed_fields(state, command)
    return [UnitProfileUpdated(unit_id=command.unit_id, **changes)] if changes else []


def evolve(state: Unit | None, event: Event) -> Unit | None:
    if isinstance(event, UnitRegistered):
        fields = msgspec.structs.asdict(event)
        return Unit(id=fields.pop("unit_id"), **fields)
    if state is None:
        return None
    if isinstance(event, UnitProfileUpdated):
        return msgspec.structs.replace(state, **changed_fields(state, event))
    if isinstance(event, ContactAdded):
        contact = ContactRef(id=event.contact_id, title=event.title)
        return msgspec.structs.replace(state, contacts=[*state.contacts, contact])
    if isinstance(event, ContactErased):
        contacts = [
            msgspec.structs.replace(c, erased=True) if c.id == event.contact_id else c for c in state.contacts
        ]
        return msgspec.structs.replace(state, contacts=contacts)
    return state
