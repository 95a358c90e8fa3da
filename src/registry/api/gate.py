"""The one layer every request passes before its route: its metrics, and the check of its bearer
token (`registry.edge.auth.authenticate`) unless the path is public, a page's, or excluded.

One pure-ASGI layer where there were two middlewares (ours for the metrics, then Litestar's
authentication middleware around the token check): a request crosses one coroutine and builds
one connection object fewer, and the paths left out are told apart as Litestar's authentication
middleware tells them (its own `should_bypass_middleware`: the patterns, `exclude_from_auth`, OPTIONS).
"""

from __future__ import annotations

import time

from litestar.connection import ASGIConnection
from litestar.enums import HttpMethod, ScopeType
from litestar.middleware._utils import build_exclude_path_pattern, should_bypass_middleware
from litestar.types import ASGIApp, Message, Receive, Scope, Scopes, Send

from registry.api.metrics import metrics_for
from registry.edge.auth import authenticate
from registry.edge.problems import status_of_refusal

_AUTHENTICATED: Scopes = {ScopeType.HTTP, ScopeType.WEBSOCKET}
_NOT_AUTHENTICATED_METHODS = (HttpMethod.OPTIONS,)


class ApiGate:
    """Wraps the app: every HTTP request recorded by its route template (not its ids), and the
    bearer token of every request not excluded checked, its actor left in `scope["user"]`."""

    def __init__(self, app: ASGIApp, exclude: list[str]) -> None:
        self.app = app
        self.exclude = build_exclude_path_pattern(exclude=exclude, middleware_cls=type(self))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._authenticate(scope)
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            try:
                await self._authenticate(scope)
            except Exception as refused:
                # A 401, 429 or 503 is answered by the app's exception handlers around this layer,
                # so its status never passes `record_status`.
                status = status_of_refusal(refused)
                raise
            await self.app(scope, receive, record_status)
        finally:
            path = scope.get("path_template") or "unmatched"
            counter, histogram = metrics_for(str(scope.get("method", "")), path, status)
            counter.inc()
            histogram.observe(time.perf_counter() - started)

    async def _authenticate(self, scope: Scope) -> None:
        if not should_bypass_middleware(
            exclude_http_methods=_NOT_AUTHENTICATED_METHODS,
            exclude_opt_key="exclude_from_auth",
            exclude_path_pattern=self.exclude,
            scope=scope,
            scopes=_AUTHENTICATED,
        ):
            scope["user"], scope["auth"] = await authenticate(ASGIConnection(scope))
