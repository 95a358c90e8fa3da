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


# The length prefixes of fields shorter than this, made once: verify builds millions of records.
_SHORT = 4096
_PREFIXES = [n.to_bytes(4, "big") for n in range(_SHORT)]


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
    return encoded_record(
        b"%d" % position, str(event_id).encode(), stream_id.encode(), b"%d" % version, type.encode(),
        b"%d" % schema_version, b"%d" % micros(recorded_at), data.encode(), metadata.encode(),
    )  # fmt: skip


def encoded_record(
    position: bytes,
    event_id: bytes,
    stream_id: bytes,
    version: bytes,
    type: bytes,
    schema_version: bytes,
    recorded_at: bytes,
    data: bytes,
    metadata: bytes,
) -> bytes:
    """`record_bytes` of fields already encoded: each the UTF-8 bytes of its text (numbers in
    decimal, the time as its microseconds), as verify gets them from verify-page.sql."""
    p = _PREFIXES
    s, t, d, m = len(stream_id), len(type), len(data), len(metadata)
    # Numbers and ids are always short; text may be any length.
    return b"".join((
        p[len(position)], position,
        p[len(event_id)], event_id,
        p[s] if s < _SHORT else s.to_bytes(4, "big"), stream_id,
        p[len(version)], version,
        p[t] if t < _SHORT else t.to_bytes(4, "big"), type,
        p[len(schema_version)], schema_version,
        p[len(recorded_at)], recorded_at,
        p[d] if d < _SHORT else d.to_bytes(4, "big"), data,
        p[m] if m < _SHORT else m.to_bytes(4, "big"), metadata,
    ))  # fmt: skip


def chain(previous: bytes, record: bytes) -> bytes:
    """The next link: SHA-256 of the previous hash followed by the record."""
    return hashlib.sha256(previous + record).digest()
