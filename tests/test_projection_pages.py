"""The read model folded a page at a time equals the read model folded event by event.

The projection folds a page of events per entity in memory and writes each table set-based;
every event still makes its own row, valid until the entity's next event. So a read model built
in pages of any size, from one event to the whole log, holds exactly the rows (every version,
every validity range, hence every `as_of` answer) that one built event by event holds. The log
is the demo's: units, offers and their holds, needs, plans with slots, an allocation, claims,
confirmations, releases and fulfilments.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from events.runner import ProjectionRunner
from events.sql import query
from registry.app import open_registry
from registry.demo.load import load_demo
from registry.matching.config import MatchConfig
from registry.read import page_sql
from registry.read.projection import read_model_projection
from registry.read.tables import TABLES
from registry.service.execute import Registry
from registry.settings import Settings


@pytest.mark.parametrize("page", [1, 3, 64, 1_000_000])
async def test_pages_of_any_size_give_the_rows_that_events_one_by_one_give(
    database_dsn: str, page: int
) -> None:
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=4))
    try:
        await load_demo(registry, MatchConfig())
        # The leader's way, reading the stored rows each page folds into: the live read model is
        # dropped (a changed DDL hash makes the runner start it again) and caught up in pages.
        await registry.store.pool.execute("UPDATE projection_checkpoints SET schema_hash = 'changed'")
        live = ProjectionRunner(registry.store, [read_model_projection()], name="registry", batch_size=page)
        await live.catch_up()
        # A rebuild's way, remembering what it made, one event a page and the whole log in one.
        for size in (1, 1_000_000):
            built = ProjectionRunner(
                registry.store, [read_model_projection()], name="registry", batch_size=size
            )
            assert await built.check(read_model_projection()) == []
        versions = await registry.store.pool.fetchval("SELECT count(*) FROM registry_read.offers")
        offers = await registry.store.pool.fetchval(
            "SELECT count(*) FROM registry_read.offers WHERE valid_to IS NULL"
        )
        assert versions > offers > 0  # offers changed within pages: intermediate versions are kept
    finally:
        await registry.close()


@contextlib.asynccontextmanager
async def _demo_to_project_again(dsn: str, connections: int) -> AsyncIterator[tuple[Registry, list[str]]]:
    """The demo's log in a registry whose read model is to be made again from zero (a changed
    DDL hash makes a runner start it again), and the statements its pool's connections send."""
    registry = await open_registry(
        Settings(database_url=dsn, pool_min_size=connections, pool_max_size=connections)
    )
    try:
        await load_demo(registry, MatchConfig())
        await registry.store.pool.execute("UPDATE projection_checkpoints SET schema_hash = 'changed'")
        sent: list[str] = []
        async with contextlib.AsyncExitStack() as held:
            for _ in range(connections):
                conn = await held.enter_async_context(registry.store.pool.acquire())
                conn.add_query_logger(lambda record: sent.append(record.query))
        yield registry, sent
    finally:
        await registry.close()


async def test_a_live_page_reads_in_one_statement_and_writes_in_one(database_dsn: str) -> None:
    # Under load a write waits for about one and a half batches, and each of a batch's round
    # trips waits for a backend on shared cores: a live page reads every table's current rows in
    # one statement and ends and adds rows in every table in one, with no COPY.
    async with _demo_to_project_again(database_dsn, 1) as (registry, sent):
        live = ProjectionRunner(registry.store, [read_model_projection()], name="registry", batch_size=40)
        await live.catch_up()
        pages = sent.count(page_sql.WRITE_PAGE)
        # From the log's start every entity is new or folded by an earlier page of this runner:
        # nothing is read back (KeptStates).
        assert pages > 1 and page_sql.CURRENT_ROWS not in sent
        per_table = {query(name) for t in TABLES for name in (t.current_query, t.end_query)}
        assert not per_table & set(sent)
        assert page_sql.END_ROWS not in sent  # the rows a COPY would add are ended by it
        # A batch's other statements: its transaction, the checkpoint's lock with its settings,
        # the page with the head, the checkpoint's move (and a last step that finds no more).
        assert sent.count(query("events/projection-batch-lock")) == pages + 1
        assert sent.count(query("events/projection-page")) == pages + 1
        assert query("events/projection-transaction") not in sent[sent.index(page_sql.WRITE_PAGE) :]
        assert query("events/head-position") not in sent


async def test_a_page_reads_back_only_the_states_its_process_did_not_fold_last(database_dsn: str) -> None:
    # Two processes lead in turn, five events each: an entity's state kept by one is stale once
    # the other has folded the entity's next events, and must be read back, not folded on.
    async with _demo_to_project_again(database_dsn, 2) as (registry, sent):  # the check needs two
        projections = [read_model_projection(), read_model_projection()]
        runners = [ProjectionRunner(registry.store, [p], name="registry") for p in projections]
        # The turns are taken by hand: the read model started again from zero, then a step each.
        await runners[0]._prepare(projections[0])
        turn, idle = 0, 0
        while idle < 2:
            moved = await runners[turn % 2]._step(projections[turn % 2], 5)
            idle = 0 if moved else idle + 1
            turn += 1
        assert turn > 20
        assert page_sql.CURRENT_ROWS in sent  # what the other one folded was read back
        assert await runners[0].check(read_model_projection()) == []


async def test_a_live_page_of_many_rows_copies_them(database_dsn: str) -> None:
    # A leader catching up writes pages of thousands of rows: a COPY a table parses them faster
    # than the one statement's JSON. (asyncpg's query logger does not see a COPY; the rows are
    # there, and nothing but a COPY wrote them.)
    async with _demo_to_project_again(database_dsn, 1) as (registry, sent):
        live = ProjectionRunner(
            registry.store, [read_model_projection()], name="registry", batch_size=1_000_000
        )
        await live.catch_up()
        assert page_sql.WRITE_PAGE not in sent
        assert await registry.store.pool.fetchval("SELECT count(*) FROM registry_read.offers") > 0
