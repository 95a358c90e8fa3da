"""The audit trail: the log itself (a page, or all of it as NDJSON), one stream's story, the chain check.

Each answer names the log head it was read at (`head_position`, `head_hash`: fields of the JSON
bodies, and `X-Log-Head-Position` / `X-Log-Head-Hash` headers on the log's pages and streams), so
what an auditor holds can be checked against a verified chain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.enums import MediaType
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIResponse, OpenAPIType, Operation, Schema
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from events import VerifyReport
from registry.api.docs import described
from registry.api.params import one
from registry.api.request_checks import check_request
from registry.domain.errors import FieldError, InvalidInput, NotFound
from registry.domain.values import Role
from registry.edge.auth import allow
from registry.edge.http import MAX_POSITION
from registry.edge.requests import LINE, year_problems
from registry.read.history import AuditFilter, LogPage, StreamHistory, log_lines, log_page, stream_history
from registry.service.context import Actor

AUDIT = allow(Role.AUDITOR, Role.COORDINATOR)
NDJSON = "application/x-ndjson"
# Events per query while streaming NDJSON: what bounds the stream's memory, whatever the log's length.
NDJSON_PAGE_SIZE = 1000
DEFAULT_LIMIT = 100
MAX_TYPES = 50
_TYPE_NAME = re.compile(r"[^\x00-\x1f\x7f-\x9f\u2028\u2029]{1,200}")

After = Annotated[int, QueryParameter(ge=0, le=MAX_POSITION, description="Events after this log position")]
AuditLimit = Annotated[
    int | None,
    QueryParameter(
        ge=1,
        le=1000,
        description=f"Page size (default {DEFAULT_LIMIT}); with NDJSON, an optional cap (default: no cap)",
    ),
]
StreamParam = Annotated[
    str | None,
    QueryParameter(min_length=1, max_length=200, pattern=LINE, description="Exactly this stream"),
]
StreamPrefix = Annotated[
    str | None,
    QueryParameter(
        min_length=1, max_length=200, pattern=LINE, description="Streams starting with this (`offer-`)"
    ),
]
TypeParam = Annotated[
    list[str] | None,
    QueryParameter(
        name="type",
        description="Event types (repeat the parameter, or separate with commas); any of them matches",
    ),
]
ActorParam = Annotated[
    str | None,
    QueryParameter(
        min_length=1, max_length=200, pattern=LINE, description="Recorded by this actor (`token:<id>`)"
    ),
]
Since = Annotated[datetime | None, QueryParameter(description="Recorded at or after this RFC 3339 time")]
Until = Annotated[datetime | None, QueryParameter(description="Recorded before this RFC 3339 time")]


@dataclass
class _LogOperation(Operation):
    """The log's 200 comes as JSON, or as NDJSON when the client accepts `application/x-ndjson`."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        if isinstance(ok, OpenAPIResponse) and ok.content is not None:
            ok.content[NDJSON] = OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.STRING, description="One AuditEvent (JSON) per line")
            )


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    before_request = staticmethod(check_request)

    @get(
        "/events",
        operation_id="auditEvents",
        guards=[AUDIT],
        responses=one(LogPage, description="A page of the log"),
        operation_class=_LogOperation,
        **described(
            "Read the log",
            AUDIT,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). The log in position "
                "order, filtered by stream, type, actor and time; with `Accept: application/x-ndjson` all of"
                " it, one event per line."
            ),
            errors={400: "a filter, `cursor`, `limit` or `as_of` is not valid"},
        ),
    )
    async def events(
        self,
        request: Request[Actor, Any, Any],
        after: After = 0,
        limit: AuditLimit = None,
        stream: StreamParam = None,
        stream_prefix: StreamPrefix = None,
        event_type: TypeParam = None,
        actor: ActorParam = None,
        since: Since = None,
        until: Until = None,
    ) -> Response[Any]:
        """The log in position order, filtered (auditor, coordinator). `since` is inclusive,
        `until` exclusive. With `Accept: application/x-ndjson` every matching event after `after`,
        up to the head at the request's start, streams one JSON object per line; `limit` then caps
        the count only if given. Headers `X-Log-Head-Position` and `X-Log-Head-Hash` name the head
        the answer was read at (a JSON page also carries them as `head_position`, `head_hash`)."""
        where = AuditFilter(
            stream=stream,
            stream_prefix=stream_prefix,
            types=_types(event_type),
            actor=actor,
            since=_moment("since", since),
            until=_moment("until", until),
        )
        if where.since is not None and where.until is not None and where.until <= where.since:
            raise InvalidInput([FieldError("until", "must be after since")])
        pool = request.app.state.registry.list_pool
        if request.accept.best_match([MediaType.JSON.value, NDJSON], default=MediaType.JSON.value) == NDJSON:
            position, head_hash = await request.app.state.store.head()
            lines = log_lines(pool, after, position, limit, where, NDJSON_PAGE_SIZE)
            return Stream(lines, media_type=NDJSON, headers=_head(position, head_hash))
        page = await log_page(pool, after, limit or DEFAULT_LIMIT, where)
        return Response(page, headers=_head(page.head_position, page.head_hash))

    @get(
        "/streams/{stream:str}",
        operation_id="auditStream",
        guards=[AUDIT],
        responses=one(StreamHistory),
        **described(
            "One stream's history",
            AUDIT,
            changes=(
                "Nothing: a read (`as_of` answers as of a past log position or time). One stream's events in"
                " version order with actor, role, time and the fields each changed."
            ),
            errors={400: "not a stream id (`<kind>-<uuid>`)", 404: "no stream with that id"},
        ),
    )
    async def stream(self, request: Request[Actor, Any, Any], stream: FromPath[str]) -> StreamHistory:
        """One stream's events in version order, with actor, role, time and the fields each changed
        (auditor, coordinator). Stream ids are `<kind>-<uuid>`."""
        store = request.app.state.store
        history = await stream_history(store.pool, store.codec, stream)
        if history is None:
            raise NotFound("stream", stream)
        return history

    @get(
        "/verify",
        operation_id="auditVerify",
        guards=[AUDIT],
        responses=one(VerifyReport, description="The chain check"),
        **described(
            "Verify the hash chain",
            AUDIT,
            changes="Nothing: recomputes the whole hash chain and names the first position that breaks it.",
            errors={},
        ),
    )
    async def verify(self, request: Request[Actor, Any, Any]) -> VerifyReport:
        """Recompute the whole hash chain; name the first position that breaks it (auditor, coordinator)."""
        report: VerifyReport = await request.app.state.store.verify()
        return report


def _types(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    names = [name.strip(" ") for value in values for name in value.split(",")]
    if len(names) > MAX_TYPES or not all(_TYPE_NAME.fullmatch(name) for name in names):
        raise InvalidInput([FieldError("type", f"up to {MAX_TYPES} event types of 1 to 200 characters")])
    return names


def _moment(field: str, value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput([FieldError(field, "an RFC 3339 time with offset")])
    found = year_problems(field, value)
    if found:
        raise InvalidInput(found)
    return value


def _head(position: int, head_hash: str) -> dict[str, str]:
    return {"X-Log-Head-Position": str(position), "X-Log-Head-Hash": head_hash}
