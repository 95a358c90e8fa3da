"""A current board's candidate query runs current-only on a generic plan, made once per connection;
as of a position it runs whole on custom plans. Both answer alike (tests/test_matching_cut.py
compares them on random registries); here, which plan each gets and that the setting stays in
the board's own transaction."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from events.sql import query
from registry.matching.config import MatchConfig
from registry.read.board import CANDIDATES, CURRENT_CANDIDATES, read_need_board, read_plan_board
from registry.read.current import current_only
from tests.api_fixtures import Api, need_body
from tests.test_api_commitments import MORNING, offer, ok
from tests.test_api_matching import fair_with_slots

PLAN_COUNTS = "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1"


async def plans_of(conn: Any, statement: str) -> tuple[int, int]:
    row = await conn.fetchrow(PLAN_COUNTS, statement)
    return (row["generic_plans"], row["custom_plans"]) if row is not None else (0, 0)


async def one_connection_like_the_list_pool(dsn: str) -> asyncpg.Pool[Any]:
    """The list pool's setting (custom plans for the session) on one connection, to look at it."""
    pool = await asyncpg.create_pool(
        dsn, min_size=1, max_size=1, server_settings={"plan_cache_mode": "force_custom_plan"}
    )
    assert pool is not None
    return pool


async def test_a_current_board_plans_its_candidate_query_once_and_as_of_boards_each_time(
    api: Api, cast_database_dsn: str
) -> None:
    plan = await fair_with_slots(api, {"category": "repair", "quantity": 2, **MORNING})
    await offer(api, capacity={"quantity": 2, "measure": "people"})
    need = await ok(
        await api.post(
            f"/api/v1/units/{api.units['other']}/needs", need_body(category="repair", **MORNING),
            who="liaison_other",
        ),
        201,
    )  # fmt: skip
    plan_id, need_id, config = uuid.UUID(plan["id"]), uuid.UUID(need["id"]), MatchConfig()
    pool = await one_connection_like_the_list_pool(cast_database_dsn)
    try:
        boards = [(await read_plan_board(pool, plan_id, None, config))[1] for _ in range(3)]
        _, need_board = await read_need_board(pool, need_id, None, config)
        assert need_board.demands[0].candidates  # the offer fits the need too
        async with pool.acquire() as conn:
            # Four current boards, one plan: the one generic plan, none made for a call.
            assert await plans_of(conn, CURRENT_CANDIDATES) == (4, 0)
            # The setting ended with each board's transaction: the session plans as it did.
            assert await conn.fetchval("SHOW plan_cache_mode") == "force_custom_plan"
        position = boards[0].position
        for _ in range(2):
            _, again = await read_plan_board(pool, plan_id, position, config)
            assert again.demands == boards[0].demands
        async with pool.acquire() as conn:
            assert await plans_of(conn, CANDIDATES) == (0, 2)  # as of a position: planned each time
    finally:
        await pool.close()


def test_the_current_only_candidate_query_keeps_no_as_of_test() -> None:
    whole = query("registry/match-candidates")
    tests = whole.count("$1::bigint IS NOT NULL AND int8range")
    assert tests == 5  # offer windows (lone and weekly), commitments, units, offers
    assert CURRENT_CANDIDATES.count("valid_to IS NULL AND $1::bigint IS NULL") == tests
    assert "IS NOT NULL AND int8range" not in CURRENT_CANDIDATES


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 FROM t WHERE x = $1",  # no now-or-as-of test at all
        # One in a form it does not know (no parentheses around it): left whole, it would read
        # every version of the rows under a generic plan that cannot reach the current ones.
        "SELECT 1 FROM t WHERE ($1::bigint IS NULL AND valid_to IS NULL)\n"
        "    OR ($1::bigint IS NOT NULL AND int8range(valid_from, valid_to) @> $1::bigint)",
    ],
)
def test_a_query_whose_as_of_tests_it_cannot_reduce_is_refused(sql: str) -> None:
    with pytest.raises(ValueError, match="not all of the recognised form"):
        current_only(sql)
