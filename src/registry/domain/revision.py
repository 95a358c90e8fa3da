"""Revisions: a command lists the fields to set; the event records only those that change."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET

_IDENTITY = {"unit_id", "offer_id", "need_id", "plan_id", "token_id", "type"}


def changed_fields(state: msgspec.Struct, revision: msgspec.Struct) -> dict[str, Any]:
    """The set (not UNSET) fields of `revision` whose value differs from `state`'s."""
    changes: dict[str, Any] = {}
    for name in revision.__struct_fields__:
        if name in _IDENTITY:
            continue
        value = getattr(revision, name)
        if value is not UNSET and getattr(state, name) != value:
            changes[name] = value
    return changes
