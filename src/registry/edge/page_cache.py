"""Answered list pages, kept while the read model and the clock leave their answer as it was.

A current page of a list is a function of the read model's state, which only the projection
changes, in the transaction that moves its checkpoint, and, for offers, of the time asked (an
offer expires at its `expires_at`). So a page is answered again, byte for byte, while:

- the checkpoint is the one it was read at. Each request reads the checkpoint in the statement
  that checks its token (`token-by-secret-and-checkpoint.sql`): a write answered before the
  request was made is already applied there (every write brings the read model up to itself
  before it answers), so read-your-writes holds in every process, and a revoked token is refused
  as on any other request. A page is kept only if the checkpoint read after its query is still
  the one read before it: the query then saw exactly that state.
- the clock has not passed the next expiry of any current offer (`offers-next-expiry.sql`, read
  with that second checkpoint): until then no offer changes between expired and not, whatever
  the filters. A clock set back before the time the page was read at misses too.

Memory is bounded: the pages of one checkpoint at most, the least recently used forgotten first
once their bodies pass `max_bytes`. A checkpoint that moves on forgets every older page (no
request can be answered by them again). Each process keeps its own; nothing is shared.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime

import msgspec
from prometheus_client import Counter, Gauge

LOOKUPS = Counter("registry_list_cache_lookups", "Cached list pages looked up, by result", ["result"])
CACHED_BYTES = Gauge("registry_list_cache_bytes", "Bytes of list pages kept by this process")
_HIT, _MISS = LOOKUPS.labels("hit"), LOOKUPS.labels("miss")
DEFAULT_MAX_BYTES = 32 * 1024 * 1024


class _Page(msgspec.Struct, frozen=True):
    body: bytes
    read_at: datetime  # the time the page was asked about
    valid_until: datetime | None  # the next expiry after read_at (None: none will change it)


class PageCache:
    """The answered pages of the read model at one checkpoint, within `max_bytes` of bodies."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError("a page cache holds zero bytes or more")
        self.max_bytes = max_bytes
        self.checkpoint = -1
        self.size = 0
        self._pages: OrderedDict[Hashable, _Page] = OrderedDict()

    def __len__(self) -> int:
        return len(self._pages)

    def get(self, key: Hashable, checkpoint: int, now: datetime) -> bytes | None:
        """The body answered for `key` at `checkpoint`, if it still holds at `now`."""
        page = self._pages.get(key) if checkpoint == self.checkpoint else None
        if page is None or now < page.read_at or (page.valid_until is not None and now >= page.valid_until):
            _MISS.inc()
            return None
        self._pages.move_to_end(key)
        _HIT.inc()
        return page.body

    def put(
        self, key: Hashable, checkpoint: int, read_at: datetime, valid_until: datetime | None, body: bytes
    ) -> None:
        """Keep `body` as the answer for `key` at `checkpoint`, from `read_at` until `valid_until`."""
        if checkpoint < self.checkpoint or len(body) > self.max_bytes:
            return  # read before the read model moved on: no later request asks for it
        if checkpoint > self.checkpoint:
            self._pages.clear()
            self.size = 0
            self.checkpoint = checkpoint
        old = self._pages.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self._pages[key] = _Page(body, read_at, valid_until)
        self.size += len(body)
        while self.size > self.max_bytes:
            _, dropped = self._pages.popitem(last=False)
            self.size -= len(dropped.body)
        CACHED_BYTES.set(self.size)
