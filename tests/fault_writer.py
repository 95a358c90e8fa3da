"""A writer process for the crash test: appends big batches forever until it is killed."""

from __future__ import annotations

import asyncio
import sys

from events import EventStore, NewEvent

BATCH = 4000


async def main(dsn: str) -> None:
    store = await EventStore.connect(dsn, server_settings={"application_name": "fault-writer"})
    batch = 0
    while True:
        batch += 1
        events = [NewEvent(type="bulk", data={"batch": batch, "i": i}) for i in range(BATCH)]
        await store.append(f"bulk-{batch}", events)
        print(f"committed {batch}", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
