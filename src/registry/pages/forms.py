"""Forms: a page's POST runs the same service code as the API, and what the rules refuse is shown
in the form again — each error beside its field, in the page's language, with what was typed kept.

A handler gives `submitted` the form, the write (which answers where to go next), the template
the form lives in and what else that template needs; `templates/_forms.html` draws the fields.
Form fields are named as the API's body fields (`capacity.quantity`), so an error the request
types or the domain name lands beside the field it is about; one about no field of the form is
shown above it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from registry.domain.errors import Conflict, FieldError, InvalidInput, PreconditionFailed
from registry.edge.body import field_error
from registry.edge.language import localize
from registry.edge.requests import Body as RequestBody
from registry.pages.i18n import lang_of, translator
from registry.pages.render import page

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
B = TypeVar("B", bound=RequestBody)
# The key of the errors shown above the form: those about no field it has.
WHOLE_FORM = ""


def checked(type_: type[B], **fields: object) -> B:
    """A form's fields under the API's own rules (shapes, lengths, cross-field rules), or InvalidInput
    naming the field. Fields arrive as text: give numbers converted (`number`, `ident`)."""
    try:
        body = msgspec.convert(fields, type_)
    except msgspec.ValidationError as error:
        raise InvalidInput([field_error(error)]) from None
    body.check()
    return body


def number(form: Mapping[str, str], field: str, low: float = 0) -> float:
    """A number from a form, or InvalidInput naming the field."""
    try:
        value = float(form.get(field, ""))
    except ValueError:
        raise InvalidInput([FieldError(field, "a number is required")]) from None
    if not low <= value < 1e9:
        raise InvalidInput([FieldError(field, f"at least {low:g}")])
    return value


def ident(form: Mapping[str, str], field: str) -> uuid.UUID:
    try:
        return uuid.UUID(form.get(field, ""))
    except ValueError:
        raise InvalidInput([FieldError(field, "an id is required")]) from None


def text(form: Mapping[str, str], field: str) -> str | None:
    """A text field, None when left empty."""
    return form.get(field, "").strip() or None


def drawn_from(form: Mapping[str, str]) -> str | None:
    """The If-Match of the version the form was drawn from (its hidden `version` field): a change
    someone made meanwhile makes the write stale (412), never silently overwritten."""
    version = form.get("version", "")
    return f'"{version}"' if version.isdigit() and len(version) < 10 else None


def go(target: str) -> Redirect:
    return Redirect(target, status_code=HTTP_303_SEE_OTHER)


async def submitted(
    request: Request[Any, Any, Any],
    form: Mapping[str, str],
    write: Callable[[], Awaitable[str]],
    template: str,
    context: Callable[[], Awaitable[dict[str, Any]]] | None = None,
) -> Response[Any]:
    """Run `write` and go where it says (303); if a rule refuses it, show `template` again with the
    errors and the typed values: 422 for input, 409 for the state of things, 412 for a stale form.

    Anything else (not signed in, not allowed, not found) is the error page's, as for any page.
    """
    lang = lang_of(request.cookies.get("lang"))
    t = translator(lang)
    try:
        return go(await write())
    except InvalidInput as error:
        status, errors = 422, placed(error.errors, form, lang)
    except Conflict as error:
        status, errors = 409, {WHOLE_FORM: localize(str(error), lang)}
    except PreconditionFailed:
        status, errors = 412, {WHOLE_FORM: t("error.stale")}
    more = await context() if context is not None else {}
    return page(request, template, status_code=status, values=dict(form), errors=errors, **more)


def placed(found: list[FieldError], form: Mapping[str, str], lang: Any) -> dict[str, str]:
    """Each error under its field's name, or above the form when the form has no such field."""
    errors: dict[str, str] = {}
    for error in found:
        key = error.field if error.field in form else WHOLE_FORM
        said = localize(error.message, lang)
        if key == WHOLE_FORM and error.field:
            said = f"{error.field}: {said}"
        errors[key] = f"{errors[key]}；{said}" if key in errors else said
    return errors
