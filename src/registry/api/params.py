"""Parameters many routes share, declared once for Litestar (and so for the OpenAPI document)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter, QueryParameter

from registry.edge.problems import PROBLEM_JSON, Problem
from registry.edge.requests import AREA_PATTERN, CATEGORY_PATTERN, END, LINE

IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        description='Write only if the entity is at this version ("3"), or if it exists at all (*)',
        pattern=rf'^(\*|(W/)?"\d{{1,9}}"){END}',
    ),
]
# Header values the log keeps (the key, and X-Request-Id / X-Correlation-Id, which no route declares):
# printable ASCII, as HTTP fields are meant to be. `registry.api.request_checks` enforces it before anything
# else reads the request, naming the header; the patterns here document it.
HEADER_TEXT = rf"^[ -~]+{END}"
MAX_IDEMPOTENCY_KEY = 100
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        description="A retry with the same key and body is answered once (1 to 100 printable ASCII)",
        pattern=HEADER_TEXT,
        max_length=MAX_IDEMPOTENCY_KEY,
    ),
]
# RFC 3339 with an offset, as `datetime.fromisoformat` reads it (it alone knows February has no 30th),
# in the years every time here is in (`requests.YEARS`).
RFC3339 = (
    r"20\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)"
)
AsOf = Annotated[
    str | None,
    QueryParameter(
        description="Answer as of a log position (an integer) or an RFC 3339 time",
        pattern=rf"^(\d{{1,18}}|{RFC3339}){END}",
    ),
]
Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size")]
CandidateLimit = Annotated[int, QueryParameter(ge=1, le=100, description="Candidates shown per slot or need")]
CursorParam = Annotated[
    str | None,
    QueryParameter(
        max_length=200, pattern=rf"^[A-Za-z0-9_-]+{END}", description="next_cursor of the previous page"
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
    QueryParameter(min_length=1, max_length=100, pattern=LINE, description="Text search (Chinese works)"),
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
    429: _problem("Too many failed authentications from this address; retry after Retry-After seconds"),
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
