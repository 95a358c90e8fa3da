"""What every API request passes before a handler reads it: the body left to the handler's strict decode,
the headers the log keeps, the query string's encoding."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from litestar import Request
from litestar.utils.scope.state import ScopeState

from registry.api.params import HEADER_TEXT, MAX_IDEMPOTENCY_KEY
from registry.domain.errors import FieldError, InvalidInput
from registry.edge.http import if_match_version

MAX_TRACE_ID = 200
# Headers written into the idempotency table or into events' metadata, where a NUL is refused by
# PostgreSQL and a control character would stay in the log for good: (name in problems, longest).
_LOGGED_HEADERS = (
    ("Idempotency-Key", MAX_IDEMPOTENCY_KEY),
    ("X-Request-Id", MAX_TRACE_ID),
    ("X-Correlation-Id", MAX_TRACE_ID),
)
_HEADER_TEXT = re.compile(HEADER_TEXT)
_CHECKED_HEADERS = {b"if-match", *(name.lower().encode() for name, _ in _LOGGED_HEADERS)}


def header_problems(headers: Mapping[str, str]) -> list[FieldError]:
    found = []
    try:  # read here as well as by the write itself, to be named `If-Match` (Litestar names `if_match`)
        if_match_version(headers.get("if-match"))
    except InvalidInput as error:
        found.extend(error.errors)
    for name, longest in _LOGGED_HEADERS:
        value = headers.get(name.lower())
        if value is not None and not (len(value) <= longest and _HEADER_TEXT.match(value)):
            found.append(FieldError(name, f"1 to {longest} printable ASCII characters"))
    return found


def query_problems(query: bytes) -> list[FieldError]:
    """The parameters whose name or value is not UTF-8 once percent-decoded.

    Litestar would read them with replacement characters: a search for something other than what
    was sent, answered as if nothing were wrong.
    """
    found = []
    for pair in query.split(b"&"):
        try:
            unquote_to_bytes(pair).decode()
        except UnicodeDecodeError:
            name = unquote_to_bytes(pair.partition(b"=")[0]).decode(errors="replace")
            found.append(FieldError(name or "query", "not UTF-8 once percent-decoded"))
    return found


async def check_request(request: Request[Any, Any, Any]) -> None:
    """A `before_request` hook: it runs after the guards, before the handler's parameters are read."""
    scope = request.scope
    # Most reads send none of the checked headers and no query: told from the raw list (ASGI
    # header names are lower case), without building and searching Litestar's Headers.
    if scope["query_string"] or any(name in _CHECKED_HEADERS for name, _ in scope["headers"]):
        found = header_problems(request.headers) + query_problems(scope["query_string"])
        if found:
            raise InvalidInput(found)
    # Litestar parses a JSON body for a handler's `data` parameter, untyped and recursively, before
    # the handler decodes it strictly by its type (`registry.edge.body`): a body nested some
    # thousands deep overflows that first parse (a 500), and a number like 1e400 fails it naming
    # no field. Marking the body as parsed leaves the strict decode the only one: it stops at the
    # first value of a wrong type, whatever the depth, and names the field. (The `data` parameters
    # are there for the OpenAPI document; handlers take their body from `decode_body`.)
    ScopeState.from_scope(scope).json = None
