"""Contacts: people at a unit, whose names and phones stay erasable (PIPL).

The person's data goes to the `contacts` table; the log records only that a contact with this id
(and a title) was added, or erased. Erasure empties the row and rewrites the table file, so the
name and phone are gone from the database (and from every backup or export made after), while
the hash chain, which never held them, still verifies and history still replays.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from events.sql import query
from registry.domain import unit
from registry.domain.errors import NotFound
from registry.domain.values import Role
from registry.service.aggregates import UNITS
from registry.service.commands import require_unit_exists
from registry.service.context import Command
from registry.service.execute import Registry, Written

ERASED = "（已删除）"  # what a reader sees where an erased person's name was


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    unit_id: uuid.UUID
    title: str | None
    name: str
    phone: str | None
    erased: bool


async def add_contact(
    registry: Registry, ctx: Command, unit_id: uuid.UUID, name: str, phone: str | None, title: str | None
) -> Written[unit.Unit]:
    """The unit's liaison or a coordinator adds a person; the log learns only the id."""
    ctx.actor.require(Role.COORDINATOR, Role.LIAISON)
    ctx.actor.require_unit(unit_id)
    await require_unit_exists(registry, unit_id)
    contact_id = ctx.new_id()
    inserted = await registry.store.pool.fetchval(
        query("registry/contact-insert"), contact_id, unit_id, name, phone
    )
    command = unit.AddContact(unit_id=unit_id, contact_id=contact_id, title=title)
    try:
        written = await registry.execute(UNITS, unit_id, command, ctx)
    except BaseException:
        # Not in the log, so not in the registry: leave no personal data behind (but a retry's
        # failure must not undo the first request's contact).
        if inserted is not None:
            await registry.store.pool.execute(query("registry/contact-delete"), contact_id)
        raise
    return Written(contact_id, written.state, written.version, written.position)


async def erase_contact(registry: Registry, ctx: Command, contact_id: uuid.UUID) -> Written[unit.Unit]:
    """Erase a person's name and phone for good (a coordinator), and log that it was done."""
    ctx.actor.require(Role.COORDINATOR)
    unit_id: uuid.UUID | None = await registry.store.pool.fetchval(
        query("registry/contact-erase"), contact_id
    )
    if unit_id is None:
        raise NotFound("contact", contact_id)
    # Rewrite the table: an UPDATE leaves the old row's bytes in the file until space is reused.
    await registry.store.pool.execute("VACUUM FULL contacts")
    command = unit.EraseContact(unit_id=unit_id, contact_id=contact_id)
    written = await registry.execute(UNITS, unit_id, command, ctx)
    return Written(contact_id, written.state, written.version, written.position)


async def contacts_of(pool: asyncpg.Pool[Any], state: unit.Unit) -> list[Contact]:
    """The unit's contacts with their data, "erased" where it was erased."""
    rows = {row["id"]: row for row in await pool.fetch(query("registry/contacts-of-unit"), state.id)}
    contacts = []
    for ref in state.contacts:
        row = rows.get(ref.id)
        erased = ref.erased or row is None or row["erased_at"] is not None
        contacts.append(
            Contact(
                id=ref.id,
                unit_id=state.id,
                title=ref.title,
                name=ERASED if erased or row is None else row["name"],
                phone=None if erased or row is None else row["phone"],
                erased=erased,
            )
        )
    return contacts
