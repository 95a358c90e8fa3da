"""The category taxonomy."""

from __future__ import annotations

import msgspec
from litestar import get

from registry.api.docs import described
from registry.api.params import PROBLEMS
from registry.api.request_checks import check_request
from registry.domain.taxonomy import CATEGORIES


class CategoryOut(msgspec.Struct, frozen=True):
    code: str
    label_zh: str
    label_en: str
    parent: str | None


_ALL = [CategoryOut(c.code, c.label_zh, c.label_en, c.parent) for c in CATEGORIES.values()]


@get(
    "/api/v1/categories",
    operation_id="listCategories",
    tags=["categories"],
    responses=PROBLEMS,
    before_request=check_request,
    **described(
        "List the categories",
        None,
        changes="Nothing: the taxonomy, every code with its Chinese and English labels and its parent.",
        errors={},
    ),
)
async def list_categories() -> list[CategoryOut]:
    """Every category code with its Chinese and English labels and its parent."""
    return _ALL
