"""A write's answer comes from the batch that applied it, in the leader's process, byte for byte what
the read model holds; kept only while this process has seen every batch (registry.read.fresh)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from events.sql import query
from registry.app import open_registry
from registry.domain.offer import ReviseOffer, SubmitOffer
from registry.domain.unit import RegisterUnit
from registry.domain.values import Capacity, OneOffWindow
from registry.edge.http import written_response
from registry.read.fold import Newest
from registry.read.fresh import FreshDocs
from registry.read.queries import Doc, get_doc
from registry.service import commands, commitments
from registry.service.aggregates import OFFERS
from registry.service.commitments import MakeCommitment
from registry.service.execute import Registry, Written
from registry.settings import Settings
from tests.api_fixtures import CLI
from tests.test_write_engine import DAY, offer, published_slot

ID = uuid.uuid4()


def kept(table: str, entity_id: uuid.UUID, valid_from: int, doc: bytes | None) -> Newest:
    return Newest(table, entity_id, valid_from, 1, doc)


def test_a_document_answers_from_its_own_position_up_to_the_last_batch_seen() -> None:
    fresh = FreshDocs()
    fresh.begin_page(5)
    fresh.stage([kept("offers", ID, 5, b'{"v":1}')])
    fresh.committed(0, 7)
    assert fresh.get("offers", ID, 5) == Doc('{"v":1}', 1)
    assert fresh.get("offers", ID, 7) == Doc('{"v":1}', 1)
    assert fresh.get("offers", ID, 4) is None  # before it: the read model has the older row
    assert fresh.get("offers", ID, 8) is None  # past the batches seen
    assert fresh.get("needs", ID, 5) is None


def test_a_batch_not_seen_here_forgets_everything_kept() -> None:
    fresh = FreshDocs()
    fresh.stage([kept("offers", ID, 5, b"{}")])
    fresh.committed(0, 7)
    other = uuid.uuid4()
    fresh.stage([kept("offers", other, 12, b"{}")])
    fresh.committed(10, 12)  # 7..10 was applied by another process: ID may have moved there
    assert fresh.get("offers", ID, 12) is None
    assert fresh.get("offers", other, 12) == Doc("{}", 1)


def test_an_entity_gone_and_a_page_that_never_committed_answer_nothing() -> None:
    fresh = FreshDocs()
    fresh.stage([kept("offers", ID, 5, b"{}")])
    fresh.committed(0, 5)
    fresh.stage([kept("offers", ID, 6, None)])
    fresh.committed(5, 6)
    assert fresh.get("offers", ID, 6) is None
    fresh.stage([kept("offers", ID, 7, b"{}")])  # rolled back: the next page starts over
    fresh.begin_page(8)
    fresh.committed(6, 8)
    assert fresh.get("offers", ID, 8) is None


async def test_a_write_woken_before_the_leader_keeps_its_page_waits_for_it() -> None:
    # The checkpoint's notification can wake a write before the leader's loop, which committed
    # the page, gets to keep it: the page covers the write's position, so the write waits.
    fresh = FreshDocs()
    fresh.committed(0, 4)
    fresh.begin_page(6)
    fresh.stage([kept("offers", ID, 6, b"{}")])
    asking = asyncio.create_task(fresh.doc_at("offers", ID, 6))
    await asyncio.sleep(0.01)
    assert not asking.done()
    fresh.committed(4, 6)
    assert await asking == Doc("{}", 1)
    # A position no page being applied covers is answered at once (here: read it elsewhere).
    assert await asyncio.wait_for(fresh.doc_at("offers", ID, 9), 0.1) is None


@pytest.fixture
async def leading(database_dsn: str) -> AsyncIterator[tuple[Registry, list[str]]]:
    """A registry whose runner leads, and every statement its pool's only connection is sent."""
    registry = await open_registry(Settings(database_url=database_dsn, pool_min_size=1, pool_max_size=1))
    asked: list[str] = []
    try:
        registry.runner.start()
        async with asyncio.timeout(10):
            while not registry.runner.is_leader:
                await asyncio.sleep(0.01)
        async with registry.store.pool.acquire() as conn:
            conn.add_query_logger(lambda record: asked.append(record.query))
        yield registry, asked
    finally:
        await registry.close()


async def new_unit(registry: Registry) -> uuid.UUID:
    unit_id = uuid.uuid4()
    register = RegisterUnit(
        unit_id=unit_id, name=f"医院{unit_id.hex[:6]}", kind="public_institution", area="虹口区"
    )
    await commands.register_unit(registry, CLI, register)
    await commands.require_unit_exists(registry, unit_id)
    return unit_id


async def test_concurrent_writes_are_answered_from_their_batches_as_the_read_model_holds_them(
    leading: tuple[Registry, list[str]],
) -> None:
    registry, asked = leading
    unit_id = await new_unit(registry)
    offers = [await offer(registry, unit_id) for _ in range(5)]
    asked.clear()
    writes = [
        *(commands.change_offer(registry, CLI, ReviseOffer(offer_id=o, title="修伞改期")) for o in offers),
        *(_submitted(registry, unit_id) for _ in range(15)),
    ]
    written = await asyncio.gather(*writes)
    answers = [await written_response(registry, "offers", w) for w in written]
    assert query("registry/offers-get") not in asked  # none was read back
    for w, answer in zip(written, answers, strict=True):
        stored = await get_doc(registry.store.pool, "offers", w.entity_id, w.position)
        assert stored is not None and answer.content == stored.json.encode()
        assert answer.headers["ETag"] == f'"{stored.version}"'


async def test_a_claim_is_answered_with_its_commitment_from_the_batch(
    leading: tuple[Registry, list[str]],
) -> None:
    # The commitment is the first of the three streams the claim appends to: the answer's
    # position (the append's last) is past its own row, which still holds there.
    registry, asked = leading
    unit_id = await new_unit(registry)
    offer_id, target = await offer(registry, unit_id), await published_slot(registry, 3)
    asked.clear()
    cmd = MakeCommitment(commitment_id=uuid.uuid4(), offer_id=offer_id, quantity=1, **target)
    written = await commitments.make_commitment(registry, CLI, cmd)
    answer = await written_response(registry, "commitments", written, 201)
    assert query("registry/commitments-get") not in asked
    stored = await get_doc(registry.store.pool, "commitments", cmd.commitment_id, written.position)
    assert stored is not None and answer.content == stored.json.encode()


async def test_a_change_another_process_applied_is_not_answered_from_what_was_kept_before_it(
    database_dsn: str,
) -> None:
    here = await open_registry(Settings(database_url=database_dsn))
    there = await open_registry(Settings(database_url=database_dsn))
    try:
        unit_id = await new_unit(here)
        offer_id = await offer(here, unit_id)  # here applies it, and keeps its document
        revised = await commands.change_offer(there, CLI, ReviseOffer(offer_id=offer_id, title="修鞋"))
        later = await offer(here, unit_id)  # here applies the batch after the one there applied
        assert (await here.load(OFFERS, later))[1] == 1
        head = (await here.store.head())[0]
        kept = here.fresh.get("offers", offer_id, head)
        stored = await get_doc(here.store.pool, "offers", offer_id, head)
        assert stored is not None and stored.version == revised.version
        assert kept is None or kept == stored
    finally:
        await there.close()
        await here.close()


async def _submitted(registry: Registry, unit_id: uuid.UUID) -> Written[Any]:
    submit = SubmitOffer(
        offer_id=uuid.uuid4(), unit_id=unit_id, category="repair.umbrella", title="修伞",
        capacity=Capacity(quantity=2, measure="people"),
        availability=[OneOffWindow(starts_at=DAY[0], ends_at=DAY[1])],
    )  # fmt: skip
    return await commands.submit_offer(registry, CLI, submit)
