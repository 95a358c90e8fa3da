"""What every page is rendered with: the reader's language, who is signed in, the "as of" in force."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request
from litestar.response import Template

from registry.edge.http import resolve_as_of
from registry.pages.i18n import lang_of, translator
from registry.service.context import Actor

PAGES = "/pages"


def safe_next(target: str | None) -> str | None:
    """A redirect target only within the pages: never another site (`//host`, `https://…`)."""
    if target and target.startswith(f"{PAGES}/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def here(request: Request[Any, Any, Any]) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def page(request: Request[Any, Any, Any], template: str, status_code: int = 200, **context: Any) -> Template:
    lang = lang_of(request.cookies.get("lang"))
    actor: Actor | None = request.scope.get("user")
    as_of = request.query_params.get("as_of") or None
    return Template(
        template_name=template,
        status_code=status_code,
        context={
            "t": translator(lang),
            "lang": lang,
            "other_lang": "en" if lang == "zh" else "zh",
            "lang_next": urlencode({"next": here(request)}),
            "actor": actor if isinstance(actor, Actor) else None,
            "as_of": as_of,
            "as_of_query": f"?{urlencode({'as_of': as_of})}" if as_of else "",
            "path": request.url.path,
            "pages": PAGES,
            **context,
        },
    )


async def as_of_position(request: Request[Any, Any, Any]) -> int | None:
    """The `as_of` query parameter (a log position or an RFC 3339 time) as a log position."""
    return await resolve_as_of(request.app.state.store, request.query_params.get("as_of") or None)
