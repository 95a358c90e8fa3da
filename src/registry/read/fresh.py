"""The documents the leader's last batches made, kept in its process for the writes that wait on them.

A write answers with its entity as the write left it. Reading that back from the read model is
one more wait for a pooled connection, and under load the pool's connections are the requests'
queue; but in the leader's process the batch that applied the write has just made that very
document (the text a GET returns, byte for byte). So each batch's newest document per entity is
kept here once the batch has committed, before the write waiting for it is woken.

The write is woken by whichever hears first that the checkpoint moved: the leader's loop, or
the checkpoint's notification (or poll) that the same commit sent. So a write that finds its
position past what is kept while the leader's page covering it is committing waits for that page
(a moment: the commit has happened), not for the read model.

An entry holds the entity's newest row as of `reached`, the checkpoint of the last batch kept:
it answers for any position from its own (`valid_from`) up to `reached`, since an event of that
entity in between would have replaced it. That holds only while every batch is seen: a batch
that does not start where the last one ended (another process led meanwhile) empties the map
first. Anything not here (another process's write, a forgotten entity, an older position) is
read from the read model as before. Nothing here outlives the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import OrderedDict
from collections.abc import Iterable

from registry.read.fold import Newest
from registry.read.queries import Doc

CAPACITY = 5_000
# How long a write waits for the leader's loop to keep a page whose commit it has heard of.
COMMIT_WAIT_SECONDS = 0.5


class FreshDocs:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._docs: OrderedDict[tuple[str, uuid.UUID], Newest] = OrderedDict()
        self._staged: list[Newest] = []
        self._staged_up_to = 0  # the last position of the page being applied (0: none is)
        self._kept = asyncio.Event()  # set (and replaced) each time a page is kept
        self.reached: int | None = None  # the checkpoint the kept documents are newest as of

    def begin_page(self, up_to: int) -> None:
        """A page up to `up_to` is being applied: what an earlier page staged and never committed
        is dropped."""
        self._staged.clear()
        self._staged_up_to = up_to

    def stage(self, newest: Iterable[Newest]) -> None:
        """What the page being applied made (the whole page, table by table); kept on commit."""
        self._staged.extend(newest)

    def committed(self, before: int, reached: int) -> None:
        """The runner committed the batch from `before` to `reached`: what it staged is kept."""
        staged, self._staged, self._staged_up_to = self._staged, [], 0
        kept, self._kept = self._kept, asyncio.Event()
        kept.set()
        if self.reached != before:
            self._docs.clear()  # a batch was not seen here: nothing kept can be vouched for
        for entry in staged:
            key = (entry.table, entry.entity_id)
            if entry.doc is None:
                self._docs.pop(key, None)
                continue
            self._docs[key] = entry
            self._docs.move_to_end(key)
        while len(self._docs) > self._capacity:
            self._docs.popitem(last=False)
        self.reached = reached

    async def doc_at(self, table: str, entity_id: uuid.UUID, position: int) -> Doc | None:
        """`get`, once the page being applied is kept if it covers `position`: call it only for
        a position the read model is known to have reached."""
        kept = self._kept
        if (self.reached or 0) < position <= self._staged_up_to:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(COMMIT_WAIT_SECONDS):  # not wait_for: see Wakeup.wait
                    await kept.wait()
        return self.get(table, entity_id, position)

    def get(self, table: str, entity_id: uuid.UUID, position: int) -> Doc | None:
        """The entity's document as of `position`, if kept here (None: read it from the read model)."""
        if self.reached is None or position > self.reached:
            return None
        entry = self._docs.get((table, entity_id))
        if entry is None or entry.valid_from > position:
            return None
        assert entry.doc is not None  # an entity gone is not kept
        return Doc(entry.doc.decode(), entry.version)
