"""A small system-versioned read model used to test projections: offers and their titles."""

from __future__ import annotations

from events import RecordedEvent
from events.projection import Projection
from events.sql import Connection

DDL = """
CREATE TABLE offers (
    id          text   NOT NULL,
    title       text   NOT NULL,
    valid_from  bigint NOT NULL,
    valid_to    bigint,
    PRIMARY KEY (id, valid_from)
);
CREATE INDEX offers_current ON offers (id) WHERE valid_to IS NULL;
CREATE INDEX offers_as_of ON offers USING gist (int8range(valid_from, valid_to));
"""


async def submitted(conn: Connection, event: RecordedEvent) -> None:
    await conn.execute(
        "INSERT INTO offers (id, title, valid_from) VALUES ($1, $2, $3)",
        event.stream_id, event.data["title"], event.position,
    )  # fmt: skip


async def revised(conn: Connection, event: RecordedEvent) -> None:
    await conn.execute(
        "UPDATE offers SET valid_to = $2 WHERE id = $1 AND valid_to IS NULL",
        event.stream_id, event.position,
    )  # fmt: skip
    await submitted(conn, event)


async def poisoned(conn: Connection, event: RecordedEvent) -> None:
    """Writes, then fails: the write must not survive."""
    await conn.execute(
        "INSERT INTO offers (id, title, valid_from) VALUES ('half-written', 'x', $1)",
        event.position,
    )
    raise ValueError("this handler fails half-way")


def offers_projection(ddl: str = DDL, *, with_poison: bool = False) -> Projection:
    handlers = {"offer_submitted": submitted, "offer_revised": revised}
    if with_poison:
        handlers["offer_poisoned"] = poisoned
    return Projection("offers", "test_offers", ddl, handlers)


AS_OF = "SELECT title FROM test_offers.offers WHERE id = $1 AND int8range(valid_from, valid_to) @> $2::bigint"
CURRENT = "SELECT title FROM test_offers.offers WHERE id = $1 AND valid_to IS NULL"
