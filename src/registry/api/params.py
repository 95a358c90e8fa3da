"""Parameters many routes share, declared once for Litestar (and so for the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, QueryParameter

IfMatch = Annotated[
    str | None,
    HeaderParameter(name="If-Match", description='Write only if the entity is at this version ("3")'),
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key", description="A retry with the same key and body is answered once"
    ),
]
AsOf = Annotated[
    str | None,
    QueryParameter(
        description="Answer as of a log position (an integer) or an RFC 3339 time",
        pattern=r"^(\d{1,18}|\d{4}-\d{2}-\d{2}T.+)$",
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size")]
CursorParam = Annotated[
    str | None, QueryParameter(max_length=200, description="next_cursor of the previous page")
]
AreaParam = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=200, description="An area path; includes the places under it"),
]
Text = Annotated[
    str | None, QueryParameter(min_length=1, max_length=100, description="Text search (Chinese works)")
]


def one(
    view: type[msgspec.Struct], status: int = 200, description: str = "The entity"
) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(data_container=view, description=description)}


def page_of(view: type[msgspec.Struct]) -> dict[int, ResponseSpec]:
    items: Any = list[view]  # type: ignore[valid-type]
    page = msgspec.defstruct(
        f"{view.__name__}Page", [("items", items), ("next_cursor", str | None)], frozen=True
    )
    return {200: ResponseSpec(data_container=page, description="A page")}
