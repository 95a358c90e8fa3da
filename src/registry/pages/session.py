"""Signing in to the pages: the token is checked once, by the API's own bearer-token check, and
opens a server-side session (registry.pages.sessions) whose opaque id an HttpOnly, SameSite=Strict
cookie carries; the language switch; the error pages."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, ResponseHeader
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, TooManyRequestsException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import ControllerRouterHandler, Scope

from registry.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RegistryError,
    Unauthenticated,
)
from registry.edge.auth import authenticate
from registry.edge.problems import EXCEPTION_HANDLERS
from registry.pages.i18n import error_message, lang_of, translator
from registry.pages.render import PAGES, page, safe_next
from registry.pages.sessions import PageSessions
from registry.service.context import Actor

# Everything a page loads is ours (no CDN, no script); inline style attributes draw the coverage
# bars. Pages are never framed, and their addresses are not sent to other sites.
SECURITY_HEADERS = [
    ResponseHeader(
        name="Content-Security-Policy",
        value="default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]

SESSION_COOKIE = "registry_session"
LANG_COOKIE = "lang"
SIGN_IN = f"{PAGES}/sign-in"
_YEAR = 365 * 24 * 3600


class SessionCookieAuth(AbstractAuthenticationMiddleware):
    """The actor of the page session the cookie names; sign in again once it has ended."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        session_id = connection.cookies.get(SESSION_COOKIE, "")
        if not session_id:
            raise Unauthenticated("not signed in")
        sessions: PageSessions = connection.app.state.page_sessions
        actor = await sessions.actor(session_id)
        if actor is None:
            raise Unauthenticated("the session has ended")
        return AuthenticationResult(user=actor, auth=session_id)


def _with_bearer(scope: Scope, token: str) -> ASGIConnection[Any, Any, Any, Any]:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
    headers.append((b"authorization", f"Bearer {token}".encode("latin-1", "replace")))
    # A fresh "state": Litestar caches parsed headers there, and these headers are new.
    return ASGIConnection(scope={**scope, "headers": headers, "state": {}})  # type: ignore[arg-type]


async def actor_for(connection: ASGIConnection[Any, Any, Any, Any], token: str) -> tuple[Actor, uuid.UUID]:
    """The Actor a token stands for, and the token's id, exactly as the API would see them.

    Unauthenticated if there is none (counted, as the API counts it, against the address).
    """
    return await authenticate(_with_bearer(connection.scope, token))


def _session_cookie(request: Request[Any, Any, Any], value: str, max_age: int | None) -> Cookie:
    return Cookie(
        key=SESSION_COOKIE, value=value, path=PAGES, httponly=True, samesite="strict",
        secure=request.url.scheme == "https", max_age=max_age,
    )  # fmt: skip


SignInForm = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


# A page that may hold a token: kept by no cache, its address (with the token) sent to no one.
SECRET_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache", "Referrer-Policy": "no-referrer"}


@get(f"{SIGN_IN}", exclude_from_auth=True, include_in_schema=False)
async def sign_in_page(
    request: Request[Any, Any, Any], next: FromQuery[str | None] = None, token: FromQuery[str | None] = None
) -> Template:
    """The sign-in form. `token` (the link in a new token's QR code) only fills the form in: a GET
    never signs in, the person presses the button."""
    shown = page(request, "sign_in.html", next=safe_next(next), token=(token or "")[:200])
    if token:
        shown.headers.update(SECRET_HEADERS)
        # uvicorn's access log writes the request line from this scope once the answer is sent:
        # without the query, the token never reaches it.
        request.scope["query_string"] = b""
    return shown


@post(f"{SIGN_IN}", exclude_from_auth=True, include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def sign_in(request: Request[Any, Any, Any], data: SignInForm) -> Response[Any]:
    token = data.get("token", "").strip()
    target = safe_next(data.get("next")) or f"{PAGES}/plans"
    t = translator(lang_of(request.cookies.get(LANG_COOKIE)))
    if not token:
        return page(request, "sign_in.html", status_code=400, error=t("sign_in.empty"), next=target)
    try:
        actor, token_id = await actor_for(request, token)
    except Unauthenticated:
        return page(request, "sign_in.html", status_code=401, error=t("sign_in.bad"), next=target)
    except TooManyRequestsException as error:
        # Too many bad tokens from this address: the form again, saying how long to wait.
        refused = page(request, "sign_in.html", status_code=429, error=error_message(error, t), next=target)
        refused.headers.update(error.headers or {})
        return refused
    if actor.role.value == "liaison" and target == f"{PAGES}/plans":
        target = f"{PAGES}/inbox"
    session_id = await request.app.state.page_sessions.open(token_id)
    return Redirect(
        target, status_code=HTTP_303_SEE_OTHER, cookies=[_session_cookie(request, session_id, None)]
    )


@post(f"{PAGES}/sign-out", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def sign_out(request: Request[Actor, Any, Any]) -> Redirect:
    await request.app.state.page_sessions.end(request.cookies.get(SESSION_COOKIE, ""))
    return Redirect(SIGN_IN, status_code=HTTP_303_SEE_OTHER, cookies=[_session_cookie(request, "", 0)])


@get(f"{PAGES}/lang", exclude_from_auth=True, include_in_schema=False)
async def switch_language(to: FromQuery[str] = "zh", next: FromQuery[str | None] = None) -> Redirect:
    cookie = Cookie(key=LANG_COOKIE, value=lang_of(to), path="/", samesite="lax", max_age=_YEAR)
    return Redirect(safe_next(next) or f"{PAGES}/plans", status_code=HTTP_303_SEE_OTHER, cookies=[cookie])


@get("/", exclude_from_auth=True, include_in_schema=False)
async def home() -> Redirect:
    return Redirect(f"{PAGES}/plans", status_code=HTTP_303_SEE_OTHER)


# -- errors: in the page, in the reader's language, never a stack trace ---------------------------

_STATUS: dict[type[RegistryError], int] = {
    NotFound: 404,
    Forbidden: 403,
    InvalidInput: 422,
    PreconditionFailed: 412,
}


def _secured(response: Response[Any]) -> Response[Any]:
    """The pages' security headers, which the router adds only to what its handlers return."""
    response.headers.update({header.name: header.value for header in SECURITY_HEADERS})
    return response


def to_sign_in(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return _secured(Redirect(f"{SIGN_IN}?next={quote(target, safe='')}", status_code=HTTP_303_SEE_OTHER))


def error_page(request: Request[Any, Any, Any], error: Exception) -> Response[Any]:
    t = translator(lang_of(request.cookies.get(LANG_COOKIE)))
    if isinstance(error, RegistryError):
        status = next((s for kind, s in _STATUS.items() if isinstance(error, kind)), 409)
    else:
        status = getattr(error, "status_code", HTTP_500_INTERNAL_SERVER_ERROR)
    if status >= HTTP_500_INTERNAL_SERVER_ERROR:
        request.logger.exception("page request failed", exc_info=error)
    message = error_message(error, t)
    response = page(request, "error.html", status_code=status, message=message, back=back_link(request))
    if isinstance(error, HTTPException) and error.headers:
        response.headers.update(error.headers)  # Retry-After of a 429, Allow of a 405
    return _secured(response)


def back_link(request: Request[Any, Any, Any]) -> str:
    """The error page's way back, a plain link (the CSP runs no script): the page of ours the
    browser came from (sent as Referer, same origin only), else the plans."""
    came_from = urlsplit(request.headers.get("referer", ""))
    if came_from.netloc == request.url.netloc and came_from.scheme == request.url.scheme:
        target = safe_next(came_from.path + (f"?{came_from.query}" if came_from.query else ""))
        if target is not None:
            return target
    return f"{PAGES}/plans"


# Every kind the API maps is mapped here too: the most specific handler of any layer wins.
PAGE_ERROR_HANDLERS: dict[type[Exception] | int, Any] = {
    **dict.fromkeys(EXCEPTION_HANDLERS, error_page),
    Unauthenticated: to_sign_in,
}


# This area's routes, in the order the pages' router takes them.
HANDLERS: list[ControllerRouterHandler] = [sign_in_page, sign_in, sign_out, switch_language, home]
