"""Parameters many routes share, declared once for Litestar (and so for the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, QueryParameter

from registry.api.problems import PROBLEM_JSON, Problem
from registry.api.requests import AREA_PATTERN, CATEGORY_PATTERN, PRINTABLE

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
CandidateLimit = Annotated[int, QueryParameter(ge=1, le=100, description="Candidates shown per slot or need")]
CursorParam = Annotated[
    str | None,
    QueryParameter(
        max_length=200, pattern=r"^[A-Za-z0-9_-]+$", description="next_cursor of the previous page"
    ),
]
AreaParam = Annotated[
    str | None,
    QueryParameter(
        min_length=1,
        max_length=200,
        pattern=AREA_PATTERN,
        description="An area path; includes the places under it",
    ),
]
Text = Annotated[
    str | None,
    QueryParameter(
        min_length=1, max_length=100, pattern=PRINTABLE, description="Text search (Chinese works)"
    ),
]
CategoryParam = Annotated[
    str | None,
    QueryParameter(
        max_length=100, pattern=CATEGORY_PATTERN, description="A category code; includes its descendants"
    ),
]


def _problem(description: str) -> ResponseSpec:
    return ResponseSpec(data_container=Problem, description=description, media_type=PROBLEM_JSON)


# Every route may answer with these problems; documenting them lets clients (and schemathesis)
# know the whole contract.
PROBLEMS: dict[int, ResponseSpec] = {
    400: _problem("Malformed or invalid input; `errors` names the fields"),
    401: _problem("No token, or an unknown or revoked one"),
    403: _problem("The token's role or unit may not do this"),
    404: _problem("No such entity"),
    409: _problem("A business rule refuses this in the entity's current state"),
    412: _problem("If-Match named a version the entity no longer has"),
    413: _problem("The body is larger than 1 MiB"),
    422: _problem("The Idempotency-Key was used with a different request"),
    503: _problem("The database is unavailable; retry after Retry-After seconds"),
}


def one(
    view: type[msgspec.Struct], status: int = 200, description: str = "The entity"
) -> dict[int, ResponseSpec]:
    return {status: ResponseSpec(data_container=view, description=description), **PROBLEMS}


def page_of(view: type[msgspec.Struct]) -> dict[int, ResponseSpec]:
    items: Any = list[view]  # type: ignore[valid-type]
    page = msgspec.defstruct(
        f"{view.__name__}Page", [("items", items), ("next_cursor", str | None)], frozen=True
    )
    return {200: ResponseSpec(data_container=page, description="A page"), **PROBLEMS}
