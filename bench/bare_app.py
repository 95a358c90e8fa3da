"""The yardstick: a bare Litestar endpoint returning a constant JSON body, served like the registry."""

from __future__ import annotations

from litestar import Litestar, get

BODY = {"id": "00000000-0000-4000-8000-000000000000", "status": "ok", "title": "眼科义诊"}


@get("/bare", sync_to_thread=False)
def bare() -> dict[str, str]:
    return BODY


app = Litestar(route_handlers=[bare])
