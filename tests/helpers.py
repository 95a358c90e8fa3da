"""Small helpers shared by the tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

from events import NewEvent

T = TypeVar("T")


def ev(n: int = 0, type_: str = "thing_happened") -> NewEvent:
    return NewEvent(type=type_, data={"n": n})


async def collect(iterator: AsyncIterator[T]) -> list[T]:
    return [item async for item in iterator]
