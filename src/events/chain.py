"""The hash chain: each event's hash covers its stored bytes and the hash before it.

The record hashed is the exact text stored in each column, every field prefixed by its length so
that no two different rows can produce the same byte string. Times enter as integer
microseconds since the Unix epoch, the precision PostgreSQL stores.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

GENESIS_HASH = bytes(32)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _field(value: str) -> bytes:
    raw = value.encode()
    return len(raw).to_bytes(4, "big") + raw


def record_bytes(
    position: int,
    event_id: uuid.UUID,
    stream_id: str,
    version: int,
    type: str,
    schema_version: int,
    recorded_at: datetime,
    data: str,
    metadata: str,
) -> bytes:
    """The canonical bytes of one stored event, the input of its hash."""
    return b"".join(
        (
            _field(str(position)),
            _field(str(event_id)),
            _field(stream_id),
            _field(str(version)),
            _field(type),
            _field(str(schema_version)),
            _field(str(micros(recorded_at))),
            _field(data),
            _field(metadata),
        )
    )


def chain(previous: bytes, record: bytes) -> bytes:
    """The next link: SHA-256 of the previous hash followed by the record."""
    return hashlib.sha256(previous + record).digest()
