"""Stream names: one stream per entity, `<kind>-<uuid>`."""

from __future__ import annotations

import uuid
from typing import Literal

# `unitname`: the stream of a unit's name in its area (registry.domain.unit_name), for the write side.
Kind = Literal["unit", "offer", "need", "plan", "token", "commitment", "unitname"]


def stream_id(kind: Kind, entity_id: uuid.UUID) -> str:
    return f"{kind}-{entity_id}"


def entity_id(stream: str) -> uuid.UUID:
    return uuid.UUID(stream.partition("-")[2])
