"""Request bodies decoded strictly by msgspec, with every error naming its field.

Litestar converts bodies leniently ("30" becomes 30), and names an unknown or missing field by
the object around it. Bodies here are decoded from the raw bytes in strict mode instead, and
msgspec's error path is turned into the dotted field name the problem details promise.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request

from registry.domain.errors import FieldError, InvalidInput

T = TypeVar("T")
_AT = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED = re.compile(r"^Object (?:contains unknown|missing required) field `(?P<name>[^`]+)`")


def field_error(error: msgspec.ValidationError) -> FieldError:
    """`Expected int - at $.capacity.quantity` → field `capacity.quantity`."""
    match = _AT.match(str(error))
    assert match is not None, "the pattern matches any text"
    message, path = match["message"], (match["path"] or "").lstrip(".")
    named = _NAMED.match(message)
    if named is not None:
        path = f"{path}.{named['name']}" if path else named["name"]
    return FieldError(path or "body", message)


async def decode_body(request: Request[Any, Any, Any], type_: type[T]) -> T:
    """The request's JSON body as `type_`, or a 400 naming what is wrong."""
    raw = await request.body()
    try:
        return msgspec.json.decode(raw, type=type_, strict=True)
    except msgspec.ValidationError as error:
        raise InvalidInput([field_error(error)]) from None
    except msgspec.DecodeError as error:
        raise InvalidInput([FieldError("body", f"not valid JSON: {error}")]) from None


async def decode_optional_body(request: Request[Any, Any, Any], type_: type[T]) -> T | None:
    """Like `decode_body`, for bodies that may be left out entirely, or sent as JSON `null`."""
    raw = (await request.body()).strip()
    if not raw or raw == b"null":
        return None
    return await decode_body(request, type_)
