"""Reports computed from the read model (so from events): a plan's outcome and a unit's ledger.

Figures are as corrected (`fulfilment_corrected`); beside them, the figures as the units first
reported them and how many fulfilments were corrected, so a correction is never silent.

Each is read in one snapshot and names the log position it stands for and that position's chain
hash: anyone holding the log can check the report was made from it.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from events.sql import Connection, query
from registry.domain.errors import NotFound
from registry.domain.plan import Plan
from registry.domain.taxonomy import CATEGORIES
from registry.read.snapshot import snapshot


class SlotLine(msgspec.Struct, frozen=True, kw_only=True):
    slot_id: uuid.UUID
    category: str
    label_zh: str
    quantity: int
    committed: int
    fulfilled: int
    people_served: int
    volunteer_hours: float
    units: list[uuid.UUID]
    # As the units first reported them, and how many of the slot's fulfilments were corrected.
    reported_people_served: int
    reported_volunteer_hours: float
    corrections: int


class PlanReport(msgspec.Struct, frozen=True, kw_only=True):
    plan_id: uuid.UUID
    title: str
    status: str
    expected_attendance: int | None
    # Slots with something delivered (the newsletter's "service items run").
    service_items: int
    people_served: int
    volunteer_hours: float
    units_involved: int
    reported_people_served: int
    reported_volunteer_hours: float
    corrections: int
    slots: list[SlotLine]
    log_position: int
    head_hash: str


class Totals(msgspec.Struct, frozen=True, kw_only=True):
    items: int = 0
    quantity: int = 0
    volunteer_hours: float = 0.0
    people_served: int = 0
    # As first reported, and how many of the items were corrected since.
    reported_volunteer_hours: float = 0.0
    reported_people_served: int = 0
    corrections: int = 0


class LedgerMonth(msgspec.Struct, frozen=True, kw_only=True):
    month: str
    given: Totals
    received: Totals


class Balance(msgspec.Struct, frozen=True, kw_only=True):
    """Given minus received: positive for a unit that gives more than it gets."""

    items: int
    volunteer_hours: float


class Ledger(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID
    months: list[LedgerMonth]
    given: Totals
    received: Totals
    balance: Balance
    log_position: int
    head_hash: str


_plan_decoder = msgspec.json.Decoder(Plan)


async def _hash_at(conn: Connection, position: int) -> str:
    digest: bytes | None = await conn.fetchval(query("registry/hash-at"), position)
    return digest.hex() if digest is not None else ""


async def plan_report(pool: asyncpg.Pool[Any], plan_id: uuid.UUID, as_of: int | None) -> PlanReport:
    async with snapshot(pool, as_of) as (conn, position):
        head_hash = await _hash_at(conn, position)
        row = await conn.fetchrow(query("registry/plan-state"), plan_id, as_of)
    if row is None:
        raise NotFound("plan", plan_id)
    plan = _plan_decoder.decode(row["state"])
    lines = []
    for slot in plan.slots:
        done = slot.delivered
        lines.append(
            SlotLine(
                slot_id=slot.id,
                category=slot.category,
                label_zh=CATEGORIES[slot.category].label_zh,
                quantity=slot.quantity,
                committed=slot.committed,
                fulfilled=slot.fulfilled,
                people_served=sum(c.people_served for c in done),
                volunteer_hours=sum(c.volunteer_hours for c in done),
                units=sorted({c.unit_id for c in done}, key=str),
                reported_people_served=sum(c.as_reported[0] for c in done),
                reported_volunteer_hours=sum(c.as_reported[1] for c in done),
                corrections=sum(1 for c in done if c.corrected),
            )
        )
    return PlanReport(
        plan_id=plan.id, title=plan.title, status=plan.status, expected_attendance=plan.expected_attendance,
        service_items=sum(1 for line in lines if line.fulfilled > 0),
        people_served=sum(line.people_served for line in lines),
        volunteer_hours=sum(line.volunteer_hours for line in lines),
        units_involved=len({u for line in lines for u in line.units}),
        reported_people_served=sum(line.reported_people_served for line in lines),
        reported_volunteer_hours=sum(line.reported_volunteer_hours for line in lines),
        corrections=sum(line.corrections for line in lines),
        slots=lines, log_position=position, head_hash=head_hash,
    )  # fmt: skip


def _totals(row: asyncpg.Record | None) -> Totals:
    if row is None:
        return Totals()
    return Totals(
        items=row["items"], quantity=row["quantity"],
        volunteer_hours=row["volunteer_hours"], people_served=row["people_served"],
        reported_volunteer_hours=row["reported_volunteer_hours"],
        reported_people_served=row["reported_people_served"], corrections=row["corrections"],
    )  # fmt: skip


def _sum(parts: list[Totals]) -> Totals:
    return Totals(
        items=sum(p.items for p in parts),
        quantity=sum(p.quantity for p in parts),
        volunteer_hours=sum(p.volunteer_hours for p in parts),
        people_served=sum(p.people_served for p in parts),
        reported_volunteer_hours=sum(p.reported_volunteer_hours for p in parts),
        reported_people_served=sum(p.reported_people_served for p in parts),
        corrections=sum(p.corrections for p in parts),
    )


async def unit_ledger(pool: asyncpg.Pool[Any], unit_id: uuid.UUID, as_of: int | None) -> Ledger:
    async with snapshot(pool, as_of) as (conn, position):
        head_hash = await _hash_at(conn, position)
        if await conn.fetchrow(query("registry/units-get"), unit_id, as_of) is None:
            raise NotFound("unit", unit_id)
        rows = await conn.fetch(query("registry/ledger"), unit_id, as_of)
    by_month: dict[str, dict[bool, asyncpg.Record]] = {}
    for row in rows:
        by_month.setdefault(row["month"], {})[row["given"]] = row
    months = [
        LedgerMonth(month=month, given=_totals(found.get(True)), received=_totals(found.get(False)))
        for month, found in sorted(by_month.items())
    ]
    given, received = _sum([m.given for m in months]), _sum([m.received for m in months])
    balance = Balance(
        items=given.items - received.items, volunteer_hours=given.volunteer_hours - received.volunteer_hours
    )
    return Ledger(
        unit_id=unit_id, months=months, given=given, received=received, balance=balance,
        log_position=position, head_hash=head_hash,
    )  # fmt: skip
