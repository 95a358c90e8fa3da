"""Stream names: one stream per entity, `<kind>-<uuid>`."""

from __future__ import annotations

import uuid
from typing import Literal

Kind = Literal["unit", "offer", "need", "plan", "token", "commitment"]


def stream_id(kind: Kind, entity_id: uuid.UUID) -> str:
    return f"{kind}-{entity_id}"


def entity_id(stream: str) -> uuid.UUID:
    return uuid.UUID(stream.partition("-")[2])
