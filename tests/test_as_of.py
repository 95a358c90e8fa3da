"""`as_of` answers only for the past: a position beyond the log's head, or a time still to come, is a
400 naming the head (an answer that could change once more is written would be a lie). The head
itself and any time up to now are answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api_fixtures import Api
from tests.test_error_page import signed_in

READS = [
    "/api/v1/units",
    "/api/v1/units/{unit}",
    "/api/v1/units/{unit}/ledger",
    "/api/v1/offers",
    "/api/v1/commitments",
    "/api/v1/plans",
]


async def head(api: Api) -> int:
    position, _ = await api.registry.store.head()
    return int(position)


def problem_names_head(response: object, position: int) -> None:
    assert response.status_code == 400, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert [e["field"] for e in body["errors"]] == ["as_of"]
    assert f"head is position {position}" in body["detail"] or f"head, {position}" in body["detail"], body


@pytest.mark.parametrize("path", READS)
async def test_a_position_beyond_the_head_is_400_naming_the_head(api: Api, path: str) -> None:
    resolved = path.format(unit=api.units["own"])
    now = await head(api)
    for beyond in (now + 1, now + 1000, 10**17):
        problem_names_head(await api.get(resolved, params={"as_of": str(beyond)}), now)
    assert (await api.get(resolved, params={"as_of": str(now)})).status_code == 200


@pytest.mark.parametrize("path", READS)
async def test_a_time_in_the_future_is_400_naming_the_head(api: Api, path: str) -> None:
    resolved = path.format(unit=api.units["own"])
    now = await head(api)
    for later in (datetime.now(UTC) + timedelta(minutes=5), datetime(2099, 12, 31, 23, 59, 59, tzinfo=UTC)):
        problem_names_head(await api.get(resolved, params={"as_of": later.isoformat()}), now)
    # Now is past by the time it is read.
    assert (await api.get(resolved, params={"as_of": datetime.now(UTC).isoformat()})).status_code == 200


async def test_the_pages_refuse_a_position_beyond_the_head_too(api: Api) -> None:
    await signed_in(api)
    now = await head(api)
    page = await api.client.get("/pages/plans", params={"as_of": str(now + 1)})
    # The pages tell invalid input with a 422 (a form's answer), naming the head as the API does,
    # in the page's language.
    assert page.status_code == 422 and f"超出了日志末端 {now}" in page.text, page.text
