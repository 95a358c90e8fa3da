"""The API's own documentation at /schema: Swagger UI from the registry's static files, no CDN.

Litestar's render plugins load their scripts from CDNs and start them with an inline script;
this page loads the vendored Swagger UI (`static/swagger/`, see its VENDORED.md) and a start
script of ours, so a CSP that runs only 'self' scripts holds and nothing leaves the server.
Redoc, Stoplight Elements and RapiDoc are not offered: they are not vendored.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from litestar import Request, Router
from litestar.datastructures import ResponseHeader
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from registry.domain.values import Role
from registry.edge.auth import allow

SCHEMA_PATH = "/schema"
OPENAPI_JSON = f"{SCHEMA_PATH}/openapi.json"
ASSETS = "/static/swagger"
BEARER = "bearer"

# Swagger UI sets style attributes as it draws and shows its icons as data: images.
SCHEMA_HEADERS = [
    ResponseHeader(
        name="Content-Security-Policy",
        value="default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'",
    ),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
]


# Every operation that takes a token may answer these.
_TOKEN_ERRORS = {
    401: "no token, or an unknown or revoked one",
    429: "too many failed authentications from this address (see Retry-After)",
    503: "the database is unavailable; retry (with the same Idempotency-Key) after Retry-After",
}
_ROLE_NAMES = {
    Role.COORDINATOR: "a coordinator",
    Role.LIAISON: "a unit's liaison",
    Role.AUDITOR: "an auditor",
}


def roles_of(guard: allow | None) -> tuple[Role, ...]:
    """The roles a route's guard lets through (no guard: every role, with a valid token)."""
    return tuple(Role) if guard is None else guard.roles


def described(
    summary: str, guard: allow | None, *, changes: str, errors: Mapping[int, str], who: str = ""
) -> dict[str, Any]:
    """A route's `summary`, `description` and `security` for its decorator (`**described(…)`).

    The description says who may call it (the roles of `guard`, which the route's `guards` must
    name too; `who` narrows it, say to the liaison of that unit), what it changes and each error
    status with why; 401, 429 and 503 come with every token.
    """
    roles = " or ".join(_ROLE_NAMES[role] for role in roles_of(guard))
    found = {**errors, **_TOKEN_ERRORS}
    if guard is not None and set(guard.roles) != set(Role):
        narrower = errors.get(403)
        found[403] = "the token's role may not do this" + (f"; or {narrower}" if narrower else "")
    lines = "\n".join(f"- `{status}`: {why}" for status, why in sorted(found.items()))
    description = (
        f"**Who may call it:** {roles}{f' — {who}' if who else ''}.\n\n**What it changes:** {changes}\n\n"
        f"**Errors:**\n\n{lines}"
    )
    return {"summary": summary, "description": description, "security": [{BEARER: []}]}


class OfflineSwagger(OpenAPIRenderPlugin):
    """Swagger UI at /schema and /schema/swagger, every file of it from this server."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"], favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = escape(str(openapi_schema["info"]["title"]))
        return (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{title}</title>"
            f"<link rel='stylesheet' href='{ASSETS}/swagger-ui.css'>"
            f"<script src='{ASSETS}/swagger-ui-bundle.js' defer></script>"
            f"<script src='{ASSETS}/init.js' defer></script>"
            f"</head><body data-openapi='{OPENAPI_JSON}'><div id='swagger-ui'></div></body></html>"
        ).encode()


def openapi_config() -> OpenAPIConfig:
    """The document at /schema/openapi.json (with the bearer scheme) and its offline UI."""
    return OpenAPIConfig(
        title="共建资源登记簿 — co-building resource registry",
        version="1.0.0",
        description=(
            "The registry's HTTP API. Every route but /health and /ready "
            "takes a token: `Authorization: Bearer <token>` (issued by a coordinator, or by "
            "`registry token create`). Problems are RFC 9457 `application/problem+json`, in "
            "Chinese to `Accept-Language: zh-CN`, in English otherwise."
        ),
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="A registry token: a coordinator's, an auditor's or a unit's liaison's.",
                )
            }
        ),
        render_plugins=[OfflineSwagger()],
        openapi_router=Router(
            SCHEMA_PATH, route_handlers=[], include_in_schema=False, response_headers=SCHEMA_HEADERS
        ),
    )
