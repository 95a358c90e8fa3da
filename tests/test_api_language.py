"""The API's problems follow Accept-Language: zh-CN (zh, zh-CN, zh-Hans…) in Chinese, anything
else in English, the API's default. The same 400, 401, 404, 409 and 422 are asked for in both.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from registry.edge.language import accepted_ranges, negotiated
from tests.api_fixtures import Api, cloned_database, serving_api, unit_body

CHINESE = re.compile(r"[\u4e00-\u9fff]")
UNITS = "/api/v1/units"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(server_dsn: str, template_database: str, run_prefix: str) -> AsyncIterator[Api]:
    async with (
        cloned_database(server_dsn, template_database, f"{run_prefix}_language") as dsn,
        serving_api(dsn) as api,
    ):
        yield api


async def _bad_body(api: Api, headers: dict[str, str]) -> Any:
    return await api.post(UNITS, {"name": 3, "kind": "agency", "area": "虹口区/欧阳路街道"}, headers=headers)


async def _bad_limit(api: Api, headers: dict[str, str]) -> Any:
    return await api.get(f"{UNITS}?limit=many", headers=headers)


async def _unknown_unit(api: Api, headers: dict[str, str]) -> Any:
    return await api.get(f"{UNITS}/{uuid.uuid4()}", headers=headers)


async def _name_taken(api: Api, headers: dict[str, str]) -> Any:
    # The shared fixture registered 和平眼科医院 in this area.
    return await api.post(UNITS, unit_body("和平眼科医院"), headers=headers)


async def _key_reused(api: Api, headers: dict[str, str]) -> Any:
    key = {"Idempotency-Key": f"language-{uuid.uuid4()}"}
    first = await api.post(UNITS, unit_body(), headers=key)
    assert first.status_code == 201, first.text
    return await api.post(UNITS, unit_body(), headers={**headers, **key})


async def _no_token(api: Api, headers: dict[str, str]) -> Any:
    return await api.get(UNITS, who="nobody", headers=headers)


# (ask, status, English title, English detail, Chinese title, Chinese detail); details as patterns
CASES = [
    (
        _bad_body, 400, "Bad Request", r"name: Expected `str`, got `int`",
        "请求有误", r"name: 应为 字符串，实际为 整数",
    ),
    (_bad_limit, 400, "Bad Request", r"the request is not valid", "请求有误", r"请求无效"),
    (
        _no_token, 401, "Unauthorized", r"an Authorization: Bearer <token> header is required",
        "未认证", r"需要 Authorization: Bearer <令牌> 请求头",
    ),
    (_unknown_unit, 404, "Not Found", r"no unit with id \S+", "未找到", r"找不到 id 为 \S+ 的单位"),
    (
        _name_taken, 409, "Conflict", r"unit \S+ is already named '和平眼科医院' in 虹口区/欧阳路街道",
        "冲突", r"单位 \S+ 在 虹口区/欧阳路街道 已使用名称 '和平眼科医院'",
    ),
    (
        _key_reused, 422, "Unprocessable Content",
        r"this Idempotency-Key was already used with a different request",
        "无法处理的内容", r"此 Idempotency-Key 已用于另一个不同的请求",
    ),
]  # fmt: skip
FIELDS = ("ask", "status", "title", "detail", "title_zh", "detail_zh")


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(FIELDS, CASES)
@pytest.mark.parametrize("header", ["zh-CN", "zh", "zh-Hans-CN", "en;q=0.5, zh-CN;q=0.9", "fr, zh;q=0.1"])
async def test_a_problem_is_told_in_chinese_to_a_chinese_reader(
    shared: Api, ask: Any, status: int, title: str, detail: str, title_zh: str, detail_zh: str, header: str,
) -> None:  # fmt: skip
    response = await ask(shared, {"Accept-Language": header})
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["title"] == title_zh
    assert re.fullmatch(detail_zh, problem["detail"]), problem["detail"]
    assert response.headers["content-language"] == "zh-CN"
    assert "accept-language" in response.headers["vary"].lower()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(FIELDS, CASES)
@pytest.mark.parametrize("header", [None, "en", "en-US,en;q=0.9", "fr", "zh-TW", "zh;q=0, *", "*"])
async def test_a_problem_is_told_in_english_otherwise(
    shared: Api, ask: Any, status: int, title: str, detail: str, title_zh: str, detail_zh: str,
    header: str | None,
) -> None:  # fmt: skip
    response = await ask(shared, {} if header is None else {"Accept-Language": header})
    assert response.status_code == status, response.text
    problem = response.json()
    assert problem["title"] == title
    assert re.fullmatch(detail, problem["detail"]), problem["detail"]
    assert response.headers["content-language"] == "en"
    assert "accept-language" in response.headers["vary"].lower()


@pytest.mark.asyncio(loop_scope="module")
async def test_each_field_error_is_told_and_its_field_kept(shared: Api) -> None:
    body = {"name": "", "kind": "agency", "area": "虹口区/欧阳路街道", "colour": "red"}
    response = await shared.post(UNITS, body, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert errors, response.text
    for error in errors:
        assert not CHINESE.search(error["field"])
        assert CHINESE.search(error["message"]), error


@pytest.mark.asyncio(loop_scope="module")
async def test_a_query_parameter_error_is_told_in_chinese(shared: Api) -> None:
    response = await shared.get(f"{UNITS}?limit=many", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 400, response.text
    (error,) = response.json()["errors"]
    assert error["field"] == "limit"
    assert CHINESE.search(error["message"]), error


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-GB,en;q=0.9,zh-CN;q=0.8", "en"),
        ("ZH-cn", "zh"),
        ("zh-Hant, en;q=0.1", "en"),  # Traditional is not what the registry writes
        ("zh-CN;q=0, zh;q=1", "en"),  # the most specific range weighs zh-CN: 0
        ("en;q=0.8, zh;q=0.8", "en"),  # a tie: the range written first
        ("zh;q=0.8, en;q=0.8", "zh"),
        ("en;q=0, *;q=0.5", "zh"),
        ("en;q=0", "en"),  # nothing acceptable: the default
        ("zh;q=2", "en"),  # a malformed weight: that range is left out
        ("zh;q=0.9999", "en"),
        ("zh;level=1", "en"),
        ("z!h, zh-CN;q=0.3, fr", "zh"),
        ("", "en"),
        (";;,,;q=", "en"),
    ],
)
def test_accept_language_is_weighed_by_its_q_values(header: str, lang: str) -> None:
    assert negotiated(header) == lang


def test_the_ranges_are_read_in_order_with_their_weights() -> None:
    assert accepted_ranges("zh-CN, zh;q=0.9 , en ; q=0.800, *;q=0") == [
        ("zh-cn", 1.0),
        ("zh", 0.9),
        ("en", 0.8),
        ("*", 0.0),
    ]
