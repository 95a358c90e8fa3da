"""What the liaison's forms and lists choose from and read: categories by their Chinese (or English)
label, measures and urgencies in words, the units by name, and one page of a filtered list."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

import msgspec
from litestar import Request

from registry.domain.taxonomy import CATEGORIES
from registry.domain.values import Measure, Urgency
from registry.edge.http import read_pool
from registry.edge.language import Lang
from registry.read.queries import Page, UnitFilter, list_units
from registry.read.views import UnitView

F = TypeVar("F")
PAGE_SIZE = 20
# Enough units for a subdistrict's registry: the filter and the coordinator's unit choice list them.
MANY_UNITS = 1000

_units = msgspec.json.Decoder(UnitView)


def category_label(code: str, lang: Lang) -> str:
    """A category as a reader is told it: its label (an unknown code, as itself)."""
    found = CATEGORIES.get(code)
    if found is None:
        return code
    return found.label_zh if lang == "zh" else found.label_en


def category_options(lang: Lang) -> list[tuple[str, str]]:
    """(code, label) for a <select>: children indented under their parent."""
    return [
        (c.code, ("　" if c.parent else "") + (c.label_zh if lang == "zh" else c.label_en))
        for c in CATEGORIES.values()
    ]


def measure_options(t: Callable[..., str]) -> list[tuple[str, str]]:
    return [(m.value, t(f"measure.{m.value}")) for m in Measure]


def urgency_options(t: Callable[..., str]) -> list[tuple[str, str]]:
    return [(u.value, t(f"urgency.{u.value}")) for u in Urgency]


async def units_by_id(request: Request[Any, Any, Any], as_of: int | None) -> dict[uuid.UUID, UnitView]:
    found = await list_units(await read_pool(request, as_of), UnitFilter(), as_of, 0, MANY_UNITS)
    units = [_units.decode(doc) for doc in found.docs]
    return {u.id: u for u in units}


def after_of(request: Request[Any, Any, Any]) -> int:
    """Where a list's page starts (the "more" link's `after`); a bad value starts at the beginning."""
    text = request.query_params.get("after", "")
    return int(text) if text.isdigit() and len(text) <= 18 else 0


async def one_page(
    request: Request[Any, Any, Any],
    lister: Callable[[Any, F, int | None, int, int], Awaitable[Page]],
    where: F,
    as_of: int | None,
) -> Page:
    return await lister(await read_pool(request, as_of), where, as_of, after_of(request), PAGE_SIZE)


def more_query(request: Request[Any, Any, Any], last: int | None) -> str | None:
    """The query of the next page's link (the filters kept), or None when this was the last page."""
    if last is None:
        return None
    kept = {k: v for k, v in request.query_params.items() if k != "after" and v}
    return urlencode({**kept, "after": str(last)})
