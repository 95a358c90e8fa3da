"""The pages' error page leads back by a plain link, which works under a CSP that runs no script:
to the page of ours the browser came from, never to another site, else to the plans."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.api_fixtures import Api

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
_BACK = re.compile(r'<a href="([^"]*)">返回</a>')


async def signed_in(api: Api) -> None:
    form = await api.client.get("/pages/sign-in")
    token = api.auth("coordinator")["Authorization"].removeprefix("Bearer ")
    found = _CSRF.search(form.text)
    assert found is not None
    signed = await api.client.post("/pages/sign-in", data={"token": token, "_csrf_token": found[1]})
    assert signed.status_code in (200, 303), signed.text


@pytest.mark.parametrize(
    ("referer", "back"),
    [
        ("http://testserver.local/pages/inbox?as_of=3", "/pages/inbox?as_of=3"),
        (None, "/pages/plans"),
        ("https://elsewhere.example/pages/inbox", "/pages/plans"),  # another site
        ("http://testserver.local/api/v1/units", "/pages/plans"),  # not a page
        ("javascript:alert(1)", "/pages/plans"),
    ],
)
async def test_the_error_page_links_back_without_script(api: Api, referer: str | None, back: str) -> None:
    await signed_in(api)
    headers = {"Referer": referer} if referer else {}
    missing = await api.client.get(f"/pages/plans/{uuid.uuid4()}", headers=headers)
    assert missing.status_code == 404
    assert "script-src 'none'" in missing.headers["content-security-policy"]
    assert "javascript:" not in missing.text
    found = _BACK.search(missing.text)
    assert found is not None, missing.text
    assert found[1].replace("&amp;", "&") == back
