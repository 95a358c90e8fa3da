"""Entity states this process has folded, by stream and version: a load reads only what is newer.

A stream only grows and a version never changes, so the state folded up to version v is right
for ever; the next load folds just the events after v. Without it a busy plan or need (every
claim and release appends to it) is read whole on every command, and commands on it, which take
turns (service.locks), queue behind reads that grow with the stream. States are frozen Structs,
shared without copying. Bounded: the streams used least recently are forgotten first. Keyed by
the fold as well as the stream, since two aggregates may fold one stream differently.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

# A kept offer's state is ~0.9 KB (tracemalloc, a revised offer of one window), so this is ~10 MB:
# room for a subdistrict's live offers, needs, plans and open commitments all at once. A stream
# forgotten costs its next write one read of the stream (a wait for a pooled connection under load).
CAPACITY = 10_000


def fold_key(evolve: Callable[..., Any], stream: str) -> Hashable:
    """The cache's key: the fold as well as the stream."""
    return (evolve, stream)


class StateCache:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._states: OrderedDict[Hashable, tuple[int, Any]] = OrderedDict()
        # Streams this process appended to without keeping the state that left: what is kept for
        # them is right for its version but known to be behind the store.
        self._behind: set[Hashable] = set()

    def latest(self, stream: Hashable) -> tuple[int, Any]:
        """`get`, unless what is kept is known to be behind the store: then (0, None)."""
        if stream in self._behind:
            return 0, None
        return self.get(stream)

    def is_behind(self, stream: Hashable) -> bool:
        """Whether what is kept for the stream is known to be behind the store."""
        return stream in self._behind

    def behind(self, stream: Hashable) -> None:
        """This process moved the stream past what is kept (the state it left is not known)."""
        if stream in self._states:
            self._behind.add(stream)

    def get(self, stream: Hashable) -> tuple[int, Any]:
        """(version, state) last folded for the stream; (0, None) if none is kept."""
        found = self._states.get(stream)
        if found is None:
            return 0, None
        self._states.move_to_end(stream)
        return found

    def keep(self, stream: Hashable, version: int, state: Any) -> None:
        """Remember the state at `version`, unless a later one is kept already."""
        if version == 0:
            return
        found = self._states.get(stream)
        if found is not None and found[0] >= version:
            return
        self._states[stream] = (version, state)
        self._behind.discard(stream)
        self._states.move_to_end(stream)
        while len(self._states) > self._capacity:
            forgotten, _ = self._states.popitem(last=False)
            self._behind.discard(forgotten)
