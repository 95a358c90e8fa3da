"""Results remembered by the identity of what they were made from, for one projection page.

The domain's `evolve` keeps what an event leaves alone as the same objects (a plan's other slots,
an offer's availability list), so a page of an entity's events can work each out once per change
rather than at every version. An entry holds its key object itself, so the key's id is never
reused while remembered; the memo is emptied at the end of each page (what it holds is of use
within one, and busy entities hold long lists) and whenever it grows large.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

K = TypeVar("K")
C = TypeVar("C")
V = TypeVar("V")

MEMO_SIZE = 2_000
_MEMOS: list[IdentityMemo[Any, Any, Any]] = []


class IdentityMemo(Generic[K, C, V]):
    """`make(key, context)`, remembered by the identity of `key` (and the value of `context`)."""

    def __init__(self, make: Callable[[K, C], V]) -> None:
        self._make = make
        self._made: dict[int, tuple[K, C, V]] = {}
        _MEMOS.append(self)

    def __call__(self, key: K, context: C) -> V:
        found = self._made.get(id(key))
        # `is` first: the context is most often the very object (a plan's id), and uuid's == is Python.
        if found is not None and found[0] is key and (found[1] is context or found[1] == context):
            return found[2]
        value = self._make(key, context)
        if len(self._made) >= MEMO_SIZE:
            self._made.clear()
        self._made[id(key)] = (key, context, value)
        return value

    def forget(self) -> None:
        self._made.clear()


def forget_all() -> None:
    """Empty every memo (at the end of a projection page)."""
    for memo in _MEMOS:
        memo.forget()
