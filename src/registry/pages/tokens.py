"""The coordinator's tokens: the list (label, role, unit, issued, revoked), issuing one for a unit's
liaison or an auditor, and revoking one after a confirmation.

A new token's secret is shown once, in the answer to the issuing form, never again (it is stored
only hashed), with a QR code of a sign-in link a liaison scans on a phone. The link,
`/pages/sign-in?token=…`, only pre-fills the sign-in form: a GET never signs in, the person still
presses the button. The answer and that sign-in page are sent `Cache-Control: no-store` and
`Referrer-Policy: no-referrer`; the registry logs no query strings and never the secret.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import segno
from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from registry.domain.errors import Conflict, InvalidInput, NotFound
from registry.domain.values import LOCAL_ZONE, Role
from registry.edge.auth import COORDINATOR
from registry.edge.http import command
from registry.edge.language import localize
from registry.edge.requests import TokenIn
from registry.pages.forms import WHOLE_FORM, Form, checked, placed, submitted, text
from registry.pages.i18n import lang_of
from registry.pages.plans import all_units
from registry.pages.render import PAGES, page
from registry.pages.session import SECRET_HEADERS
from registry.read.tokens import get_token, list_tokens
from registry.service import commands
from registry.service.context import Actor

TOKENS = f"{PAGES}/tokens"
SIGN_IN = f"{PAGES}/sign-in"
# The roles the form offers: the centre issues the other coordinators' tokens from the CLI or API.
ISSUED_HERE = (Role.LIAISON, Role.AUDITOR)


async def _context(request: Request[Any, Any, Any]) -> dict[str, Any]:
    pool = request.app.state.registry.list_pool
    units = await all_units(request, None)
    return {
        "tokens": await list_tokens(pool), "units": {u.id: u for u in units},
        "unit_options": [("", "—")] + [(str(u.id), u.name) for u in sorted(units, key=lambda u: u.name)],
        "roles": ISSUED_HERE, "zone": LOCAL_ZONE,
    }  # fmt: skip


@get(TOKENS, include_in_schema=False, guards=[COORDINATOR])
async def tokens_page(request: Request[Actor, Any, Any]) -> Template:
    return page(request, "tokens.html", values={}, errors={}, **await _context(request))


def sign_in_link(request: Request[Any, Any, Any], secret: str) -> str:
    """The address a liaison's phone opens: the sign-in form with the token filled in."""
    return f"{str(request.base_url).rstrip('/')}{SIGN_IN}?{urlencode({'token': secret})}"


def qr_svg(link: str, title: str) -> str:
    """The link as a QR code in inline SVG markup (the CSP loads no image from elsewhere), with the
    four-module quiet zone phones expect. segno writes only the code's path and the escaped title:
    no text of the request goes in unescaped."""
    return str(segno.make(link, error="m").svg_inline(scale=4, border=4, title=title, svgclass="qr"))


@post(TOKENS, include_in_schema=False, guards=[COORDINATOR])
async def issue(request: Request[Actor, Any, Any], data: Form) -> Response[Any]:
    """Issue a token; the answer shows its secret, this once."""
    lang = lang_of(request.cookies.get("lang"))
    unit = data.get("unit_id", "").strip()
    try:
        body = checked(TokenIn, role=data.get("role", ""), unit_id=unit or None, label=text(data, "label"))
        ctx = await command(request)
        written, secret = await commands.issue_token(
            request.app.state.registry, ctx, body.role, body.unit_id, body.label
        )
    except InvalidInput as error:
        return await _refused(request, data, 422, placed(error.errors, data, lang))
    except (Conflict, NotFound) as error:
        # An unknown unit is the unit field's error, not a missing page.
        field = "unit_id" if isinstance(error, NotFound) else WHOLE_FORM
        status = 409 if isinstance(error, Conflict) else 422
        return await _refused(request, data, status, {field: localize(str(error), lang)})
    units = {u.id: u for u in await all_units(request, None)}
    link = sign_in_link(request, secret)
    shown = page(
        request, "token_issued.html", token=written.state, token_id=written.entity_id, secret=secret,
        link=link, qr=qr_svg(link, "QR"), units=units,
    )  # fmt: skip
    shown.headers.update(SECRET_HEADERS)
    return shown


async def _refused(
    request: Request[Any, Any, Any], data: Form, status: int, errors: dict[str, str]
) -> Response[Any]:
    """The tokens page again, the errors beside their fields and what was typed kept."""
    context = await _context(request)
    return page(request, "tokens.html", status_code=status, values=dict(data), errors=errors, **context)


async def _token_or_404(request: Request[Any, Any, Any], token_id: uuid.UUID) -> dict[str, Any]:
    found = await get_token(request.app.state.registry.list_pool, token_id)
    if found is None:
        raise NotFound("token", token_id)
    return {"token": found, "units": {u.id: u for u in await all_units(request, None)}}


@get(f"{TOKENS}/{{token_id:uuid}}/revoke", include_in_schema=False, guards=[COORDINATOR])
async def revoke_page(request: Request[Actor, Any, Any], token_id: FromPath[uuid.UUID]) -> Template:
    """Are you sure? — revoking cannot be undone (a new token is issued instead)."""
    return page(request, "token_revoke.html", values={}, errors={}, **await _token_or_404(request, token_id))


@post(f"{TOKENS}/{{token_id:uuid}}/revoke", include_in_schema=False, guards=[COORDINATOR])
async def revoke(
    request: Request[Actor, Any, Any], token_id: FromPath[uuid.UUID], data: Form
) -> Response[Any]:
    async def write() -> str:
        await _token_or_404(request, token_id)
        await commands.revoke_token(request.app.state.registry, await command(request), token_id)
        return TOKENS

    return await submitted(
        request, data, write, "token_revoke.html", lambda: _token_or_404(request, token_id)
    )


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [tokens_page, issue, revoke_page, revoke]
