"""The web pages: server-rendered, zh-CN by default, everything served from here (no CDN).

Pages sign in with a token, checked as the API checks it, into a server-side session; their
forms carry a CSRF token; errors show in the page, in the reader's language.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.middleware import DefineMiddleware
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from registry.pages import (
    allocate,
    audit,
    inbox,
    needs,
    offers,
    plan_forms,
    plans,
    report,
    session,
    tokens,
    units,
)
from registry.pages.render import PAGES

ROOT = Path(__file__).resolve().parents[1]
# The areas of the pages, each with its routes in `HANDLERS`.
AREAS = (session, plans, plan_forms, allocate, report, tokens, inbox, audit, units, offers, needs)
# What the API's bearer middleware leaves to the pages (which check the session cookie instead).
PAGE_PATHS = ["^/$", f"^{PAGES}(/|$)", "^/static/"]


def pages_router() -> Router:
    handlers = [handler for area in AREAS for handler in area.HANDLERS]
    return Router(
        path="/",
        route_handlers=handlers,
        # Error pages and redirects, answered by the exception handlers, add them themselves.
        response_headers=session.SECURITY_HEADERS,
        middleware=[DefineMiddleware(session.SessionCookieAuth)],
        exception_handlers=session.PAGE_ERROR_HANDLERS,
        include_in_schema=False,
    )


def static_router() -> Router:
    return create_static_files_router(path="/static", directories=[ROOT / "static"], include_in_schema=False)


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    # Autoescaping on for every template: user text (titles, notes, names) is never markup.
    environment = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        autoescape=select_autoescape(default=True),
        enable_async=False,
    )
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def csrf_config() -> CSRFConfig:
    """Double-submit CSRF tokens for the page forms; the API (bearer tokens, no cookies) is left out.

    Made before the secret is known: the app's start sets `secret` (registry.secret) before the
    first request, since the secret may live in the database.
    """
    return CSRFConfig(
        secret=secrets.token_urlsafe(48), cookie_path="/", cookie_samesite="strict", cookie_httponly=True,
        exclude=["^/api/", "^/health$", "^/ready$", "^/metrics$", "^/schema", "^/static/"],
    )  # fmt: skip
