"""One map from errors to RFC 9457 problem details; nothing else in the API picks a status.

A problem's `title`, `detail` and each `errors[].message` are told in the language the request's
`Accept-Language` weighs highest of zh-CN and English (English without one: the API's default);
the field names and `type` are the API's and never told.
"""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from events import (
    EventStoreError,
    IdempotencyKeyReused,
    ProjectionBehind,
    ProjectionError,
    WrongExpectedVersion,
)
from events.outage import UNAVAILABLE, is_unavailable
from registry.domain.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RegistryError,
    Unauthenticated,
)
from registry.edge.language import Lang, joined, localize, localize_errors, negotiated

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
RETRY_AFTER_SECONDS = "2"


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    type: str
    title: str
    status: int
    detail: str | None = None
    # Only validation problems name fields; others leave the list out.
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET


_TITLES: dict[int, tuple[str, str]] = {
    400: ("Bad Request", "请求有误"),
    401: ("Unauthorized", "未认证"),
    403: ("Forbidden", "无权访问"),
    404: ("Not Found", "未找到"),
    405: ("Method Not Allowed", "不允许的请求方法"),
    409: ("Conflict", "冲突"),
    412: ("Precondition Failed", "前提条件不满足"),
    413: ("Content Too Large", "请求体过大"),
    422: ("Unprocessable Content", "无法处理的内容"),
    429: ("Too Many Requests", "请求过多"),
    500: ("Internal Server Error", "服务器内部错误"),
    503: ("Service Unavailable", "服务暂不可用"),
}


CONTENT_LANGUAGE = {"zh": "zh-CN", "en": "en"}


def language_of(request: Request[Any, Any, Any]) -> Lang:
    """The language a problem for `request` is told in."""
    return negotiated(request.headers.get("accept-language"))


def problem(
    request: Request[Any, Any, Any],
    status: int,
    detail: str | None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    lang = language_of(request)
    english, chinese = _TITLES.get(status, ("Error", "错误"))
    body = Problem(
        # about:blank: the status says it all; `errors` names the fields of a 400.
        type="about:blank",
        title=chinese if lang == "zh" else english, status=status,
        detail=None if detail is None else localize(detail, lang),
        errors=localize_errors(errors, lang) if errors else msgspec.UNSET,
    )  # fmt: skip
    # The same URL answers in another language to another Accept-Language: caches must know.
    told = {"Content-Language": CONTENT_LANGUAGE[lang], "Vary": "Accept-Language"}
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers={**(headers or {}), **told})


_REGISTRY_STATUS: dict[type[RegistryError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PreconditionFailed: 412,
}


def _registry_status(error: RegistryError) -> int:
    return next((s for cls, s in _REGISTRY_STATUS.items() if isinstance(error, cls)), 409)


def status_of_refusal(error: Exception) -> int:
    """The status the handlers here answer an error raised before any route (the token's check)
    with: for the request metrics, which count it outside the response they see sent."""
    if isinstance(error, RegistryError):
        return _registry_status(error)
    if isinstance(error, HTTPException):
        return error.status_code
    return 503 if is_unavailable(error) else HTTP_500_INTERNAL_SERVER_ERROR


def registry_error(request: Request[Any, Any, Any], error: RegistryError) -> Response[Any]:
    status = _registry_status(error)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if isinstance(error, InvalidInput):
        # The detail is the errors again, each told on its own (the joined text has no one shape).
        told = localize_errors(error.errors, language_of(request))
        return problem(request, status, joined(told), error.errors, headers)
    return problem(request, status, str(error), None, headers)


def event_store_error(request: Request[Any, Any, Any], error: EventStoreError) -> Response[Any]:
    if isinstance(error, IdempotencyKeyReused):
        return problem(request, 422, "this Idempotency-Key was already used with a different request")
    if isinstance(error, WrongExpectedVersion):
        return problem(request, 409, str(error))
    if isinstance(error, ProjectionBehind):
        return read_model_behind(request, error)
    if isinstance(error, ProjectionError) and is_unavailable(error.__cause__):
        return database_unavailable(request, error)
    if isinstance(error, ProjectionError):
        # The write is in the log; only the read model failed to follow. A server fault, not the
        # client's: say so, so that a retry is made with the same Idempotency-Key or not at all.
        log.error("projection failed after a write: %s", error)
        return problem(request, 500, "the change was recorded, but the read model could not apply it yet")
    log.error("event store error: %s", error)
    return problem(request, 500, "the event store failed to answer this request")


def read_model_behind(request: Request[Any, Any, Any], error: ProjectionBehind) -> Response[Any]:
    # The change is recorded; only its reading back must wait. A retry with the same
    # Idempotency-Key replays it (it is never written twice) once the read model has it.
    log.warning("a write waits for the read model: %s", error)
    return problem(
        request,
        503,
        f"the change was recorded at log position {error.position}, but the read model has not "
        f"applied it yet ({error.reason}); retry with the same Idempotency-Key",
        headers={"Retry-After": RETRY_AFTER_SECONDS, "X-Log-Position": str(error.position)},
    )


def http_error(request: Request[Any, Any, Any], error: HTTPException) -> Response[Any]:
    if isinstance(error, ValidationException):
        return problem(request, 400, "the request is not valid", _field_errors(error.extra))
    status = error.status_code
    if status >= 500:
        log.error("http error %s: %s", status, error.detail)
        return problem(request, status, "the server could not answer this request")
    return problem(request, status, str(error.detail), headers=dict(error.headers or {}))


def _field_errors(extra: Any) -> list[FieldError]:
    if not isinstance(extra, list):
        return []
    found = []
    for item in extra:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            found.append(FieldError(field, str(item.get("message", "invalid"))))
    return found


def unstorable_value(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    # Input checks should have caught it; this keeps a missed case a 400, not a 500.
    log.warning("a value the database refused: %s", error)
    return problem(request, 400, "the request holds a value that cannot be stored or compared")


def undecodable_body(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    return problem(request, 400, "the body is not UTF-8 JSON", [FieldError("body", str(error))])


def database_unavailable(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    # A write may or may not have been recorded: the retry the client is asked for is safe with
    # the same Idempotency-Key (or an If-Match), which is why this is a 503 and never a 500.
    log.warning("database unavailable: %s: %s", type(error).__name__, error)
    return problem(
        request,
        503,
        "the database is unavailable; retry shortly",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def unexpected(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    # A lost connection can surface as the error of the clean-up after it (say, the rollback of a
    # transaction whose connection died), which is of no class an outage is mapped by.
    if is_unavailable(error):
        return database_unavailable(request, error)
    # Logged with its traceback for operators; the client sees no internals.
    log.exception("unexpected error", exc_info=error)
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "the server failed to answer this request")


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    RegistryError: registry_error,
    EventStoreError: event_store_error,
    HTTPException: http_error,
    asyncpg.DataError: unstorable_value,
    UnicodeDecodeError: undecodable_body,
    **dict.fromkeys(UNAVAILABLE, database_unavailable),
    Exception: unexpected,
}
