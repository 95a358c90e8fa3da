"""What a page of the log names: token labels, unit names, titles — read in one statement.

The timeline tells each event in a sentence; the events carry ids only. `names_of` reads, as of the
page's position, every token, unit, offer, need, plan and commitment the ids point at (and what
the commitments and tokens point at in turn), so a page of fifty events costs one round trip.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from events.sql import query
from registry.domain.values import Measure, Role


class TokenName(msgspec.Struct, frozen=True, kw_only=True):
    role: Role
    unit_id: uuid.UUID | None = None
    label: str | None = None


class UnitName(msgspec.Struct, frozen=True, kw_only=True):
    name: str


class CapacityName(msgspec.Struct, frozen=True, kw_only=True):
    measure: Measure = Measure.PEOPLE


class OfferName(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    unit_id: uuid.UUID
    category: str
    capacity: CapacityName = CapacityName()


class NeedName(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    unit_id: uuid.UUID
    category: str
    measure: Measure = Measure.PEOPLE


class SlotName(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    category: str
    measure: Measure = Measure.PEOPLE


class PlanName(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    slots: list[SlotName] = []


class CommitmentName(msgspec.Struct, frozen=True, kw_only=True):
    unit_id: uuid.UUID
    offer_id: uuid.UUID
    plan_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    need_id: uuid.UUID | None = None
    category: str
    quantity: int


class Asked(msgspec.Struct, kw_only=True):
    """The ids a page's events mention, by what they are."""

    tokens: set[uuid.UUID] = msgspec.field(default_factory=set)
    units: set[uuid.UUID] = msgspec.field(default_factory=set)
    offers: set[uuid.UUID] = msgspec.field(default_factory=set)
    needs: set[uuid.UUID] = msgspec.field(default_factory=set)
    plans: set[uuid.UUID] = msgspec.field(default_factory=set)
    commitments: set[uuid.UUID] = msgspec.field(default_factory=set)


class Names(msgspec.Struct, kw_only=True):
    tokens: dict[uuid.UUID, TokenName] = msgspec.field(default_factory=dict)
    units: dict[uuid.UUID, UnitName] = msgspec.field(default_factory=dict)
    offers: dict[uuid.UUID, OfferName] = msgspec.field(default_factory=dict)
    needs: dict[uuid.UUID, NeedName] = msgspec.field(default_factory=dict)
    plans: dict[uuid.UUID, PlanName] = msgspec.field(default_factory=dict)
    commitments: dict[uuid.UUID, CommitmentName] = msgspec.field(default_factory=dict)


_DECODERS: dict[str, tuple[str, msgspec.json.Decoder[Any]]] = {
    "token": ("tokens", msgspec.json.Decoder(TokenName)),
    "unit": ("units", msgspec.json.Decoder(UnitName)),
    "offer": ("offers", msgspec.json.Decoder(OfferName)),
    "need": ("needs", msgspec.json.Decoder(NeedName)),
    "plan": ("plans", msgspec.json.Decoder(PlanName)),
    "commitment": ("commitments", msgspec.json.Decoder(CommitmentName)),
}


async def names_of(pool: asyncpg.Pool[Any], asked: Asked, as_of: int | None) -> Names:
    rows = await pool.fetch(
        query("registry/timeline-names"), as_of, list(asked.tokens), list(asked.units),
        list(asked.offers), list(asked.needs), list(asked.plans), list(asked.commitments),
    )  # fmt: skip
    names = Names()
    for row in rows:
        field, decoder = _DECODERS[row["kind"]]
        getattr(names, field)[row["id"]] = decoder.decode(row["doc"])
    return names
