"""The projection that keeps the read model: every entity's current and past documents.

Its tables are registry.read.tables; how a page of events is folded into them and written,
registry.read.fold. The fold is the domain's own `evolve`, so the read model cannot drift from
the rules.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from events import TypedCodec
from events.projection import Projection
from events.sql import query
from registry.domain.events import EVENT_TYPES
from registry.read.fold import ROUTES, Build, KeptStates, apply_page

if TYPE_CHECKING:
    from registry.read.fresh import FreshDocs

SCHEMA = "registry_read"
# Events no table shows: a unit's name claims serve the write side alone (registry.domain.unit_name).
NOT_READ = {"unit_name_claimed", "unit_name_released"}


# The read model's projection, whose checkpoint says how far every registry_read table is.
READ_MODEL = "registry"


def read_model_projection(fresh: FreshDocs | None = None) -> Projection:
    """The read model's projection; with `fresh`, each committed batch's newest documents are
    kept there for the writes of this process that wait on them (registry.read.fresh). Each
    committed batch's states are kept for the next (registry.read.fold.KeptStates)."""
    missing = set(EVENT_TYPES) - set(ROUTES) - NOT_READ
    assert not missing, f"events with no read-model table: {sorted(missing)}"
    kept = KeptStates()

    def committed(before: int, reached: int) -> None:
        kept.committed()
        if fresh is not None:
            fresh.committed(before, reached)

    return Projection(
        READ_MODEL, SCHEMA, query("registry/read-model"),
        apply=functools.partial(apply_page, fresh=fresh, kept=kept),
        types=ROUTES, build=Build, committed=committed,
    )  # fmt: skip


def registry_codec() -> TypedCodec:
    """Stored registry events decode straight into their Structs."""
    return TypedCodec(EVENT_TYPES)
