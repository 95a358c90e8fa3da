"""What the write side knows of an entity kind: how it is rebuilt and judged, and what a write returns."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import msgspec

from registry.domain.events import Event
from registry.streams import Kind

S = TypeVar("S")


class Aggregate(msgspec.Struct, Generic[S], frozen=True):
    """How one kind of entity is rebuilt from its events and judged."""

    kind: Kind
    # Typed loosely on input: each module's evolve takes its own state type.
    evolve: Callable[[Any, Event], S | None]
    decide: Callable[[Any, Any], list[Event]]


class Written(msgspec.Struct, Generic[S], frozen=True):
    """The outcome of a command: the entity's state and version, and the log position reached."""

    entity_id: uuid.UUID
    state: S
    version: int
    position: int | None
