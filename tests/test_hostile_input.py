"""Hostile input: refused with a 400 that names the field, never a 500, and nothing written; or, when
it is only odd (SQL, markup, template syntax), kept byte for byte.

What a demanding client may expect, and what is held to here:

- A JSON body is decoded once, strictly by its type, which stops at the first value of a wrong type
  or the first unknown field: nesting 100,000 deep is a 400 naming where it went wrong. No field
  takes free-form JSON, so nothing is ever parsed deeper than its type.
- Text is UTF-8 without C0 controls (bar tab, LF, CR), DEL or C1 controls, anywhere. One-line fields
  (names, titles, labels, tags, venues, locations, areas, search text) take no tab or line break
  either (nor U+2028/U+2029, nor a single trailing newline); multi-line fields (descriptions,
  notes, reasons) keep their line breaks and tabs as sent.
- Numbers out of range, however large (1e400, 10^30, 2^63, and negatives), are a 400 naming the
  field, in bodies, query parameters and If-Match alike. Times and dates are in the years 2000 to
  2099 (as written, whatever the offset): year 1 at +14:00 or 9999 at -14:00 would overflow.
- Headers the log keeps (Idempotency-Key, X-Request-Id, X-Correlation-Id) are printable ASCII; a
  query string is UTF-8 once percent-decoded.
- Ids that are not UUIDs: a 400 naming the parameter in a query or a body, a 404 in a path.
- SQL metacharacters, HTML and Jinja syntax are data: the API returns them as sent and the log holds
  them as sent (the pages show them escaped: see test_pages.py).

The tests share one app and database; "nothing written" is the log's head not moving.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import msgspec
import pytest
import pytest_asyncio

from registry.edge import requests
from tests.api_fixtures import Api, cloned_database, need_body, offer_body, plan_body, serving_api, unit_body
from tests.test_api_validation import dispatched_commitment, problem, resolve

pytestmark = pytest.mark.asyncio(loop_scope="module")

MakeBody = Callable[[Any], dict[str, Any]]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(server_dsn: str, template_database: str, run_prefix: str) -> AsyncIterator[Api]:
    async with (
        cloned_database(server_dsn, template_database, f"{run_prefix}_hostile") as dsn,
        serving_api(dsn) as api,
    ):
        yield api


async def head(api: Api) -> int:
    position, _ = await api.registry.store.head()
    return int(position)


async def refused(api: Api, method: str, path: str, field: str, **kw: Any) -> None:
    """The request is a 400 naming `field`, and the log has not moved."""
    before = await head(api)
    response = await api.request(method, path, **kw)
    body = problem(response, 400)
    assert field in [e["field"] for e in body.get("errors", [])], body
    assert await head(api) == before, "a refused request wrote to the log"


def raw_json(body: dict[str, Any], value: bytes) -> bytes:
    """`body` as JSON with `@@` replaced by `value`: bytes that a JSON encoder would not write."""
    return msgspec.json.encode(body).replace(b"@@", value)


JSON = {"Content-Type": "application/json"}

# -- every write that takes a JSON body, with an acceptable body -------------------------------------

UNIT, OFFER, NEED, PLAN = (
    "/api/v1/units/{unit}",
    "/api/v1/offers/{offer}",
    "/api/v1/needs/{need}",
    "/api/v1/plans/{plan}",
)
COMMITMENT = "/api/v1/commitments/{commitment}"
FULFILMENT = {"people_served": 1, "volunteer_hours": 1}
CORRECTION = {"people_served": 1, "volunteer_hours": 1, "reason": "x"}

# fmt: off
WRITES = [
    ("POST", "/api/v1/units", unit_body()),
    ("PATCH", UNIT, {"description": "x"}),
    ("POST", UNIT + "/offers", offer_body()),
    ("PATCH", OFFER, {"title": "x"}),
    ("POST", OFFER + "/withdraw", {"reason": "x"}),
    ("POST", UNIT + "/needs", need_body()),
    ("POST", NEED + "/cancel", {"reason": "x"}),
    ("POST", "/api/v1/plans", plan_body()),
    ("POST", PLAN + "/slots", {"category": "medical", "quantity": 1}),
    ("POST", PLAN + "/cancel", {"reason": "x"}),
    ("POST", PLAN + "/allocate", {"dry_run": True}),
    ("POST", PLAN + "/complete", {"notes": "x"}),
    ("POST", "/api/v1/commitments", {"offer_id": "00000000-0000-4000-8000-000000000001", "quantity": 1,
                                     "need_id": "00000000-0000-4000-8000-000000000001"}),
    ("POST", COMMITMENT + "/decline", {"reason": "x"}),
    ("POST", COMMITMENT + "/release", {"reason": "x"}),
    ("POST", COMMITMENT + "/fulfil", FULFILMENT),
    ("POST", COMMITMENT + "/correct", CORRECTION),
    ("POST", NEED + "/people-served-limit", {"people_served_limit": 5}),
    ("POST", UNIT + "/contacts", {"name": "王芳"}),
    ("POST", "/api/v1/tokens", {"role": "auditor", "label": "x"}),
]
# fmt: on

DEPTH = 100_000
# A shape of deep nesting, and the field its problem names: the strict decode stops at the first
# value of a wrong type (or the first unknown field), however deep the rest goes.
DEEP = {
    "arrays": (b"[" * DEPTH + b"]" * DEPTH, "body"),
    "unclosed arrays": (b"[" * DEPTH, "body"),
    "objects": (b'{"a":' * DEPTH + b"1" + b"}" * DEPTH, "a"),
    "in a field": (b'{"description": ' + b"[" * DEPTH + b"]" * DEPTH + b"}", "description"),
}


@pytest.mark.parametrize("shape", DEEP)
@pytest.mark.parametrize(("method", "path", "_"), [pytest.param(*w, id=f"{w[0]} {w[1]}") for w in WRITES])
async def test_deeply_nested_body_is_400(shared: Api, method: str, path: str, _: Any, shape: str) -> None:
    content, named = DEEP[shape]
    await refused(shared, method, await resolve(shared, path), named, content=content, headers=JSON)


def structs_within(info: msgspec.inspect.Type) -> Iterator[msgspec.inspect.StructType]:
    """Every Struct type a decoder of `info` may meet."""
    if isinstance(info, msgspec.inspect.StructType):
        yield info
        for f in info.fields:
            yield from structs_within(f.type)
    for inner in ("types", "item_type", "item_types", "key_type", "value_type", "type"):
        found = getattr(info, inner, None)
        for part in found if isinstance(found, tuple) else [found] if found is not None else []:
            if isinstance(part, msgspec.inspect.Type) and not isinstance(info, msgspec.inspect.StructType):
                yield from structs_within(part)


async def test_every_request_struct_refuses_unknown_fields() -> None:
    # What keeps a deep body harmless: a decoder that skipped an unknown field's value would
    # recurse through all of it.
    bodies = [b for b in vars(requests).values() if isinstance(b, type) and issubclass(b, requests.Body)]
    assert len(bodies) > 10
    for body in bodies:
        for struct in structs_within(msgspec.inspect.type_info(body)):
            assert struct.forbid_unknown_fields, struct.cls


# -- text fields: every one of every write -----------------------------------------------------------


def field(method: str, path: str, name: str, body: MakeBody, one_line: bool) -> Any:
    return pytest.param(method, path, name, body, one_line, id=f"{method} {path} {name}")


def line(method: str, path: str, name: str, body: MakeBody) -> Any:
    return field(method, path, name, body, True)


def text(method: str, path: str, name: str, body: MakeBody) -> Any:
    return field(method, path, name, body, False)


def area(value: str) -> str:
    return f"虹口区/{value}"


UNITS, OFFERS, NEEDS, PLANS = "/api/v1/units", UNIT + "/offers", UNIT + "/needs", "/api/v1/plans"

# fmt: off
TEXT_FIELDS = [
    line("POST", UNITS, "name", lambda v: unit_body(name=v)),
    line("POST", UNITS, "short_name", lambda v: {**unit_body(), "short_name": v}),
    line("POST", UNITS, "address", lambda v: {**unit_body(), "address": v}),
    line("POST", UNITS, "party_org", lambda v: {**unit_body(), "party_org": v}),
    line("POST", UNITS, "area", lambda v: unit_body(area=area(v))),
    text("POST", UNITS, "description", lambda v: {**unit_body(), "description": v}),
    line("PATCH", UNIT, "name", lambda v: {"name": v}),
    line("PATCH", UNIT, "area", lambda v: {"area": area(v)}),
    text("PATCH", UNIT, "description", lambda v: {"description": v}),
    line("POST", OFFERS, "title", lambda v: offer_body(title=v)),
    text("POST", OFFERS, "description", lambda v: offer_body(description=v)),
    line("POST", OFFERS, "tags[1]", lambda v: offer_body(tags=["义诊", v])),
    line("POST", OFFERS, "service_area[0]", lambda v: offer_body(service_area=[area(v)])),
    line("PATCH", OFFER, "title", lambda v: {"title": v}),
    text("PATCH", OFFER, "description", lambda v: {"description": v}),
    line("PATCH", OFFER, "tags[0]", lambda v: {"tags": [v]}),
    text("POST", OFFER + "/withdraw", "reason", lambda v: {"reason": v}),
    line("POST", NEEDS, "title", lambda v: need_body(title=v)),
    line("POST", NEEDS, "location", lambda v: need_body(location=v)),
    text("POST", NEEDS, "description", lambda v: need_body(description=v)),
    text("POST", NEED + "/cancel", "reason", lambda v: {"reason": v}),
    line("POST", PLANS, "title", lambda v: plan_body(title=v)),
    line("POST", PLANS, "series", lambda v: plan_body(series=v)),
    line("POST", PLANS, "venue", lambda v: plan_body(venue=v)),
    line("POST", PLANS, "area", lambda v: plan_body(area=area(v))),
    text("POST", PLAN + "/slots", "notes", lambda v: {"category": "medical", "quantity": 1, "notes": v}),
    text("POST", PLAN + "/cancel", "reason", lambda v: {"reason": v}),
    text("POST", COMMITMENT + "/decline", "reason", lambda v: {"reason": v}),
    text("POST", COMMITMENT + "/release", "reason", lambda v: {"reason": v}),
    text("POST", COMMITMENT + "/fulfil", "notes", lambda v: {**FULFILMENT, "notes": v}),
    text("POST", COMMITMENT + "/correct", "reason", lambda v: {**CORRECTION, "reason": v}),
    line("POST", UNIT + "/contacts", "name", lambda v: {"name": v}),
    line("POST", UNIT + "/contacts", "title", lambda v: {"name": "王芳", "title": v}),
    line("POST", "/api/v1/tokens", "label", lambda v: {"role": "auditor", "label": v}),
]
# fmt: on
TEXT_PARAMS = ("method", "path", "name", "body", "one_line")

# Never in any text: NUL, other C0 controls, DEL, C1 controls (NEL, CSI).
CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\x9b"]
# Not in one line: tab, line breaks, the Unicode separators.
BREAKS = ["\t", "\n", "\r", "\r\n", "\u2028", "\u2029"]
# Bytes that are not UTF-8 (a lone byte, a cut sequence, an encoded surrogate, an overlong "/"), and
# a JSON escape of a lone surrogate, which has no UTF-8 at all.
NOT_UTF8 = [b"\xff", b"\xe5\x92", b"\xed\xa0\x80", b"\xc0\xaf", b"a\\ud800b"]


@pytest.mark.parametrize(TEXT_PARAMS, TEXT_FIELDS)
async def test_control_characters_in_text_are_400_naming_the_field(
    shared: Api, method: str, path: str, name: str, body: MakeBody, one_line: bool
) -> None:
    resolved = await resolve(shared, path)
    for control in CONTROLS:
        await refused(shared, method, resolved, name, json=body(f"前{control}后"))


@pytest.mark.parametrize(TEXT_PARAMS, [f for f in TEXT_FIELDS if f.values[4]])
async def test_line_breaks_in_one_line_text_are_400_naming_the_field(
    shared: Api, method: str, path: str, name: str, body: MakeBody, one_line: bool
) -> None:
    resolved = await resolve(shared, path)
    for brk in BREAKS:
        await refused(shared, method, resolved, name, json=body(f"前{brk}后"))
    # Python's `$` matches before a final newline: the rule must not.
    await refused(shared, method, resolved, name, json=body("名称\n"))


@pytest.mark.parametrize(TEXT_PARAMS, [f for f in TEXT_FIELDS if not f.values[4]])
async def test_multi_line_text_keeps_its_line_breaks_and_tabs(
    shared: Api, method: str, path: str, name: str, body: MakeBody, one_line: bool
) -> None:
    value = "第一行\r\n第二行\n\t缩进\u2028末行\n"
    resolved = await resolve(shared, path)
    if path.endswith("/decline"):  # only a commitment still awaiting its unit can be declined
        resolved = f"/api/v1/commitments/{await dispatched_commitment(shared)}/decline"
    if path.endswith("/correct"):  # only a fulfilment can be corrected (plan_body's window is past)
        fulfilled = await shared.post(resolved.replace("/correct", "/fulfil"), FULFILMENT, who="liaison_own")
        assert fulfilled.status_code == 200, fulfilled.text
    before = await head(shared)
    response = await shared.request(method, resolved, json=body(value))
    assert response.status_code in (200, 201), response.text
    assert any(event.get(name) == value for event in await written_since(shared, before))


@pytest.mark.parametrize(TEXT_PARAMS, TEXT_FIELDS)
async def test_text_that_is_not_utf8_is_400(
    shared: Api, method: str, path: str, name: str, body: MakeBody, one_line: bool
) -> None:
    resolved = await resolve(shared, path)
    for bad in NOT_UTF8:
        await refused(shared, method, resolved, "body", content=raw_json(body("@@"), bad), headers=JSON)


# -- numbers out of range ----------------------------------------------------------------------------

HUGE = [b"1e400", b"-1e400", str(10**30).encode(), str(-(10**30)).encode(), str(2**63).encode(),
        str(2**64).encode(), str(-(2**63) - 1).encode()]  # fmt: skip
A_WEEK = {"weekdays": ["@@"], "start_time": "09:00:00", "end_time": "10:00:00",
          "from_date": "2026-09-01", "to_date": "2026-09-30"}  # fmt: skip
SOME_ID = "00000000-0000-4000-8000-000000000001"

# fmt: off
NUMBER_FIELDS = [
    ("POST", OFFERS, "capacity.quantity", offer_body(capacity={"quantity": "@@", "measure": "people"})),
    ("PATCH", OFFER, "capacity.quantity", {"capacity": {"quantity": "@@", "measure": "people"}}),
    ("POST", OFFERS, "availability[0].weekdays[0]", offer_body(availability=[A_WEEK])),
    ("POST", NEEDS, "quantity", need_body(quantity="@@")),
    ("POST", PLANS, "expected_attendance", plan_body(expected_attendance="@@")),
    ("POST", PLAN + "/slots", "quantity", {"category": "medical", "quantity": "@@"}),
    ("POST", "/api/v1/commitments", "quantity", {"offer_id": SOME_ID, "quantity": "@@", "need_id": SOME_ID}),
    ("POST", COMMITMENT + "/fulfil", "people_served", {"people_served": "@@", "volunteer_hours": 1}),
    ("POST", COMMITMENT + "/fulfil", "volunteer_hours", {"people_served": 1, "volunteer_hours": "@@"}),
    ("POST", COMMITMENT + "/correct", "people_served", {**CORRECTION, "people_served": "@@"}),
    ("POST", COMMITMENT + "/correct", "volunteer_hours", {**CORRECTION, "volunteer_hours": "@@"}),
    ("POST", NEED + "/people-served-limit", "people_served_limit", {"people_served_limit": "@@"}),
    ("POST", PLAN + "/slots", "people_served_limit", {"category": "medical", "quantity": 1,
                                                      "people_served_limit": "@@"}),
    ("POST", PLAN + "/allocate", "weights.proximity", {"weights": {"proximity": "@@"}}),
]
# fmt: on


@pytest.mark.parametrize(
    ("method", "path", "name", "body"), [pytest.param(*f, id=f"{f[0]} {f[1]} {f[2]}") for f in NUMBER_FIELDS]
)
async def test_huge_numbers_in_bodies_are_400_naming_the_field(
    shared: Api, method: str, path: str, name: str, body: dict[str, Any]
) -> None:
    resolved = await resolve(shared, path)
    for number in HUGE:
        json = raw_json(body, number).replace(b'"' + number + b'"', number)  # a number, not a string
        await refused(shared, method, resolved, name, content=json, headers=JSON)


# fmt: off
NUMBER_PARAMS = [
    *[(path, "limit") for path in ("/api/v1/units", "/api/v1/offers", "/api/v1/needs", PLANS,
                                    "/api/v1/commitments", "/api/v1/audit/events")],
    ("/api/v1/audit/events", "after"),
    (PLAN + "/matches", "limit"), (NEED + "/matches", "limit"),
    *[(path, "as_of") for path in ("/api/v1/units", "/api/v1/offers", "/api/v1/needs", PLANS,
                                    "/api/v1/commitments", UNIT, OFFER, NEED, PLAN, COMMITMENT,
                                    PLAN + "/report", UNIT + "/ledger", PLAN + "/matches")],
]
# fmt: on


@pytest.mark.parametrize(("path", "name"), [pytest.param(*p, id=f"{p[0]} {p[1]}") for p in NUMBER_PARAMS])
async def test_huge_numbers_in_query_parameters_are_400_naming_them(
    shared: Api, path: str, name: str
) -> None:
    resolved = await resolve(shared, path)
    for number in HUGE:
        response = await shared.get(resolved, params={name: number.decode()})
        assert name in [e["field"] for e in problem(response, 400)["errors"]]


@pytest.mark.parametrize("version", [str(10**30), str(2**63), str(2**31), "-1", "1e400", "1" * 100])
async def test_huge_versions_in_if_match_are_400(shared: Api, version: str) -> None:
    path = await resolve(shared, OFFER)
    await refused(
        shared, "PATCH", path, "If-Match", json={"title": "新"}, headers={"If-Match": f'"{version}"'}
    )


# -- times and dates far off ---------------------------------------------------------------------------

# datetime's own ends, shifted by an offset past them, and the years just outside 2000-2099.
FAR_TIMES = ["0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-14:00",
             "1999-12-31T23:59:59+08:00", "2100-01-01T00:00:00+08:00"]  # fmt: skip
FAR_DATES = ["0001-01-01", "9999-12-31", "1999-12-31", "2100-01-01"]
ONE_OFF = {"starts_at": "2026-12-05T09:00:00+08:00", "ends_at": "2026-12-05T12:00:00+08:00"}
WEEKLY = {"weekdays": [1], "start_time": "09:00:00", "end_time": "10:00:00",
          "from_date": "2026-09-01", "to_date": "2026-09-30"}  # fmt: skip


def one_off(**changed: str) -> dict[str, Any]:
    return {**ONE_OFF, **changed}


def weekly(**changed: str) -> dict[str, Any]:
    return {**WEEKLY, **changed}


A_SLOT = {"category": "medical", "quantity": 1, "starts_at": "2026-10-17T09:00:00+08:00",
          "ends_at": "2026-10-17T10:00:00+08:00"}  # fmt: skip

# fmt: off
TIME_FIELDS = [
    ("POST", NEEDS, "starts_at", lambda v: need_body(starts_at=v)),
    ("POST", NEEDS, "ends_at", lambda v: need_body(ends_at=v)),
    ("POST", PLANS, "starts_at", lambda v: plan_body(starts_at=v)),
    ("POST", PLANS, "ends_at", lambda v: plan_body(ends_at=v)),
    ("POST", PLAN + "/slots", "starts_at", lambda v: {**A_SLOT, "starts_at": v}),
    ("POST", PLAN + "/slots", "ends_at", lambda v: {**A_SLOT, "ends_at": v}),
    ("POST", OFFERS, "availability[0].starts_at", lambda v: offer_body(availability=[one_off(starts_at=v)])),
    ("PATCH", OFFER, "availability[1].ends_at", lambda v: {"availability": [ONE_OFF, one_off(ends_at=v)]}),
]
DATE_FIELDS = [
    ("POST", OFFERS, "valid_until", lambda v: offer_body(valid_until=v)),
    ("POST", OFFERS, "availability[0].from_date", lambda v: offer_body(availability=[weekly(from_date=v)])),
    ("POST", OFFERS, "availability[0].to_date", lambda v: offer_body(availability=[weekly(to_date=v)])),
    ("PATCH", OFFER, "valid_until", lambda v: {"valid_until": v}),
    ("POST", UNITS, "agreement_until", lambda v: {**unit_body(), "agreement_until": v}),
    ("PATCH", UNIT, "agreement_until", lambda v: {"agreement_until": v}),
]
# fmt: on


@pytest.mark.parametrize(
    ("method", "path", "name", "body", "values"),
    [pytest.param(*f, FAR_TIMES, id=f"{f[0]} {f[1]} {f[2]}") for f in TIME_FIELDS]
    + [pytest.param(*f, FAR_DATES, id=f"{f[0]} {f[1]} {f[2]}") for f in DATE_FIELDS],
)
async def test_times_and_dates_outside_2000_to_2099_are_400_naming_the_field(
    shared: Api, method: str, path: str, name: str, body: MakeBody, values: list[str]
) -> None:
    resolved = await resolve(shared, path)
    for value in values:
        await refused(shared, method, resolved, name, json=body(value))


async def test_times_at_the_ends_of_the_years_are_accepted(shared: Api) -> None:
    window = {"starts_at": "2000-01-01T00:00:00+14:00", "ends_at": "2099-12-31T23:59:59-14:00"}
    response = await shared.post("/api/v1/plans", plan_body(**window))
    assert response.status_code == 201, response.text
    # As of the first instant of the years: the past, answered (the last is the future: see test_as_of.py).
    assert (
        await shared.get("/api/v1/needs", params={"as_of": "2000-01-01T00:00:00+14:00"})
    ).status_code == 200


# fmt: off
TIME_PARAMS = [
    *[(path, {"as_of": t}, "as_of") for path in ("/api/v1/units", UNIT, PLAN + "/report", UNIT + "/ledger")
      for t in FAR_TIMES],
    *[("/api/v1/audit/events", {name: t}, name) for name in ("since", "until") for t in FAR_TIMES],
    *[("/api/v1/offers", {"available_from": t, "available_to": "2026-12-05T10:00:00+08:00"}, "available_from")
      for t in FAR_TIMES[:3]],
    *[("/api/v1/offers", {"available_from": "2026-12-05T10:00:00+08:00", "available_to": t}, "available_to")
      for t in FAR_TIMES[2:]],
]
# fmt: on


@pytest.mark.parametrize(
    ("path", "params", "name"), [pytest.param(*p, id=f"{p[0]} {p[1]}") for p in TIME_PARAMS]
)
async def test_far_times_in_query_parameters_are_400_naming_them(
    shared: Api, path: str, params: dict[str, str], name: str
) -> None:
    response = await shared.get(await resolve(shared, path), params=params)
    assert name in [e["field"] for e in problem(response, 400)["errors"]]


# -- headers the log keeps, and the query string's encoding ------------------------------------------

BAD_HEADER_VALUES = [b"k\x00", b"k\x01", b"\x1bk", b"k\x7f", b"k\tk", "键".encode(), b"\xff\xfe", b"k" * 201]


@pytest.mark.parametrize("header", ["Idempotency-Key", "X-Request-Id", "X-Correlation-Id"])
async def test_headers_the_log_keeps_are_printable_ascii(shared: Api, header: str) -> None:
    for value in BAD_HEADER_VALUES:
        before = await head(shared)
        headers = [
            (b"authorization", shared.auth("coordinator")["Authorization"].encode()),
            (header.encode(), value),
        ]
        response = await shared.client.post("/api/v1/units", json=unit_body("某单位"), headers=headers)
        assert header in [e["field"] for e in problem(response, 400)["errors"]], value
        assert await head(shared) == before
    # Unit names are unique in an area: one per header.
    accepted = await shared.post(
        "/api/v1/units", unit_body(f"某单位 {header}"), headers={header: "a-Z_0.9 ~!"}
    )
    assert accepted.status_code == 201, accepted.text


# fmt: off
TEXT_QUERY = [
    *[(path, "q") for path in ("/api/v1/units", "/api/v1/offers", "/api/v1/needs", PLANS)],
    *[(path, "area") for path in ("/api/v1/units", "/api/v1/offers", PLANS)],
    *[(path, "category") for path in ("/api/v1/offers", "/api/v1/needs")],
    *[(path, "status") for path in ("/api/v1/offers", "/api/v1/needs", PLANS, "/api/v1/commitments")],
    *[(path, "cursor") for path in ("/api/v1/units", "/api/v1/offers", "/api/v1/needs", PLANS)],
    *[("/api/v1/audit/events", name) for name in ("stream", "stream_prefix", "actor", "type")],
    ("/api/v1/units", "as_of"),
]
# fmt: on
GOOD_QUERY = {
    "q": "眼科",
    "area": "虹口区",
    "category": "repair",
    "status": "active",
    "cursor": "WzEsbnVsbF0",
    "stream": "unit-x",
    "stream_prefix": "unit-",
    "actor": "cli:x",
    "type": "unit_registered",
    "as_of": "1",
}  # fmt: skip


@pytest.mark.parametrize(("path", "name"), [pytest.param(*p, id=f"{p[0]} {p[1]}") for p in TEXT_QUERY])
async def test_control_characters_in_query_parameters_are_400_naming_them(
    shared: Api, path: str, name: str
) -> None:
    good = GOOD_QUERY[name]
    for bad in [*CONTROLS, *BREAKS, "\n"]:
        value = good + bad if bad == "\n" else f"{good[:1]}{bad}{good[1:]}"
        response = await shared.get(path, params={name: value})
        assert name in [e["field"] for e in problem(response, 400)["errors"]], repr(value)


@pytest.mark.parametrize("query", ["q=%FF", "q=caf%E9", "area=%ED%A0%80", "q=%C0%AF", "%FF=1"])
async def test_a_query_string_that_is_not_utf8_is_400(shared: Api, query: str) -> None:
    response = await shared.get(f"/api/v1/units?{query}")
    assert problem(response, 400)["errors"], response.text


# -- ids that are not UUIDs ---------------------------------------------------------------------------

NOT_UUIDS = ["abc", "42", "0b1d7f7e-5a0c-4c1e-9a61-7a4b1f1e2c3g", "和平眼科医院", "\x00", "' OR 1=1 --"]
ID_FILTERS = [
    ("/api/v1/offers", "unit_id"), ("/api/v1/needs", "unit_id"),
    *[("/api/v1/commitments", name) for name in ("unit_id", "offer_id", "plan_id", "need_id")],
]  # fmt: skip


@pytest.mark.parametrize(("path", "name"), [pytest.param(*p, id=f"{p[0]} {p[1]}") for p in ID_FILTERS])
async def test_ids_that_are_not_uuids_in_query_filters_are_400_naming_them(
    shared: Api, path: str, name: str
) -> None:
    for bad in NOT_UUIDS:
        response = await shared.get(path, params={name: bad})
        assert name in [e["field"] for e in problem(response, 400)["errors"]], bad


@pytest.mark.parametrize("name", ["offer_id", "plan_id", "slot_id", "need_id"])
async def test_ids_that_are_not_uuids_in_a_commitment_are_400_naming_them(shared: Api, name: str) -> None:
    ids = {"offer_id": SOME_ID, "plan_id": SOME_ID, "slot_id": SOME_ID}
    if name == "need_id":
        ids = {"offer_id": SOME_ID}
    for bad in NOT_UUIDS:
        body = {**ids, "quantity": 1, name: bad}
        await refused(shared, "POST", "/api/v1/commitments", name, json=body)


@pytest.mark.parametrize("stream", ["abc", "offer-abc", "offer-", "-", "unit-" + "0" * 36, "x" * 5000])
async def test_audit_streams_that_name_no_entity_are_404(shared: Api, stream: str) -> None:
    problem(await shared.get(f"/api/v1/audit/streams/{stream}", who="auditor"), 404)


# Blank once trimmed: nothing, spaces (the ideographic one, NBSP), and characters printed as nothing.
INVISIBLE = [
    "",
    " ",
    "\u3000",
    "\u00a0",
    "\u200b",
    "\ufeff",
    "\u2060",
    "\u200b\u200c\u200d",
    " \u3000\ufeff ",
]
# Bidirectional controls, which reorder what is shown: refused anywhere in one-line text.
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
        "\u200e", "\u200f", "\u061c"]  # fmt: skip


@pytest.mark.parametrize(TEXT_PARAMS, [f for f in TEXT_FIELDS if f.values[4]])
async def test_blank_invisible_or_reordering_one_line_text_is_400_naming_the_field(
    shared: Api, method: str, path: str, name: str, body: MakeBody, one_line: bool
) -> None:
    resolved = await resolve(shared, path)
    for value in [*INVISIBLE, *(f"前{c}后" for c in BIDI), *(f"{c}前后" for c in BIDI)]:
        await refused(shared, method, resolved, name, json=body(value))


_SERIAL = iter(range(1, 1_000))


@pytest.mark.parametrize(TEXT_PARAMS, [f for f in TEXT_FIELDS if f.values[4]])
async def test_one_line_text_is_stored_nfc_and_trimmed(
    shared: Api, method: str, path: str, name: str, body: MakeBody, one_line: bool
) -> None:
    serial = next(_SERIAL)  # names are unique in an area
    sent, stored = f" \u3000\u200bCafe\u0301 {serial}\ufeff\u00a0", f"Caf\u00e9 {serial}"
    resolved = await resolve(shared, path)
    if path.endswith("/decline"):
        resolved = f"/api/v1/commitments/{await dispatched_commitment(shared)}/decline"
    before = await head(shared)
    response = await shared.request(method, resolved, json=body(sent))
    assert response.status_code in (200, 201), response.text
    # A contact's name and title are kept outside the log: the answer shows them.
    written = (
        response.text
        if path.endswith("/contacts")
        else msgspec.json.encode(await written_since(shared, before)).decode()
    )
    assert msgspec.json.encode(stored).decode() in written or stored in written, written
    assert "Cafe\u0301" not in written and "\u200b" not in written and "\\u200b" not in written


# -- SQL, markup and templates are data ---------------------------------------------------------------

HOSTILE = [
    "'); DROP TABLE events; --",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}{% raw %}${7*7}",
    "Robert'); DELETE FROM registry_read.units WHERE ('1'='1",
]


def place(value: str) -> str:
    """An area path holding `value` (a segment cannot hold a slash)."""
    return area(value.replace("/", "／"))


async def written_since(api: Api, position: int) -> list[dict[str, Any]]:
    """The data of every event after `position`, as the log holds it."""
    page = await api.get("/api/v1/audit/events", params={"after": position}, who="auditor")
    assert page.status_code == 200, page.text
    return [item["data"] for item in page.json()["items"]]


async def kept(
    api: Api, method: str, path: str, body: Any, answered: dict[str, Any], logged: dict[str, Any], who: str
) -> dict[str, Any]:
    """Write `body`; `answered` fields come back as sent (their JSON bytes too), `logged` ones are
    in the events the write appended as sent."""
    before = await head(api)
    response = await api.request(method, path, who, json=body)
    assert response.status_code in (200, 201), response.text
    made: dict[str, Any] = response.json()
    for name, value in answered.items():
        assert made[name] == value, name
        assert msgspec.json.encode(value) in response.content, name
    events = await written_since(api, before)
    for name, value in logged.items():
        assert any(event.get(name) == value for event in events), (name, events)
    return made


@pytest.mark.parametrize("value", HOSTILE)
async def test_sql_markup_and_template_text_is_stored_verbatim(shared: Api, value: str) -> None:
    async def write(path: str, body: Any, fields: dict[str, Any], method: str = "POST") -> dict[str, Any]:
        return await kept(shared, method, path, body, fields, fields, "coordinator")

    unit_fields = {"name": value, "short_name": value, "address": value, "party_org": value,
                   "description": f"{value}\n{value}", "area": place(value)}  # fmt: skip
    unit = await write("/api/v1/units", {**unit_body(), **unit_fields}, unit_fields)
    fresh = (await shared.get(f"/api/v1/units/{unit['id']}")).json()
    assert {name: fresh[name] for name in unit_fields} == unit_fields
    await write(f"/api/v1/units/{unit['id']}", {"name": value + "!"}, {"name": value + "!"}, "PATCH")

    offer = {"title": value, "description": value, "tags": [value[:50]], "service_area": [place(value)]}
    await write(f"/api/v1/units/{unit['id']}/offers", offer_body(**offer), offer)
    need_fields = {"title": value, "location": value, "description": value}
    need = await write(f"/api/v1/units/{unit['id']}/needs", need_body(**need_fields), need_fields)
    await kept(shared, "POST", f"/api/v1/needs/{need['id']}/cancel", {"reason": value}, {}, {"reason": value},
               "coordinator")  # fmt: skip
    plan_fields = {"title": value, "series": value, "venue": value, "area": place(value)}
    plan = await write("/api/v1/plans", plan_body(**plan_fields), plan_fields)
    await write(f"/api/v1/plans/{plan['id']}/slots", {"category": "medical", "quantity": 1, "notes": value},
                {"notes": value})  # fmt: skip
    await write("/api/v1/tokens", {"role": "auditor", "label": value[:100]}, {"label": value[:100]})
    # A contact's name is kept outside the log (it is erasable); the answer has it as sent.
    contact = {"name": value, "title": value[:100]}
    await kept(shared, "POST", f"/api/v1/units/{unit['id']}/contacts", contact, contact, {}, "coordinator")

    # Searching for the text finds it as text; and the log, every table in it, is whole.
    found = await shared.get("/api/v1/units", params={"q": value[:100]})
    assert unit["id"] in [u["id"] for u in found.json()["items"]]
    assert (await shared.get("/api/v1/audit/verify", who="auditor")).json()["ok"] is True


@pytest.mark.parametrize("value", HOSTILE)
async def test_commitment_reasons_and_notes_are_stored_verbatim(shared: Api, value: str) -> None:
    fields = {"reason": value}
    declined = f"/api/v1/commitments/{await dispatched_commitment(shared)}/decline"
    await kept(shared, "POST", declined, fields, fields, fields, "liaison_own")
    fulfilled = await resolve(shared, COMMITMENT + "/fulfil")
    fields = {"notes": value}
    await kept(shared, "POST", fulfilled, {**FULFILMENT, **fields}, fields, fields, "liaison_own")


# fmt: off
MEASURE_FIELDS = [
    ("POST", PLAN + "/slots", {"category": "medical", "quantity": 1}),
    ("POST", NEEDS, need_body()),
]
# fmt: on
NOT_MEASURES = ["furlongs", "", "PEOPLE", " people", 7, None, ["people"], {"measure": "people"}]


@pytest.mark.parametrize(
    ("method", "path", "body"), [pytest.param(*f, id=f"{f[0]} {f[1]}") for f in MEASURE_FIELDS]
)
async def test_a_slots_or_needs_measure_that_is_not_one_is_400_naming_it(
    shared: Api, method: str, path: str, body: dict[str, Any]
) -> None:
    resolved = await resolve(shared, path)
    for value in NOT_MEASURES:
        await refused(shared, method, resolved, "measure", json={**body, "measure": value})


async def test_an_offer_status_filter_that_is_not_a_status_is_400(shared: Api) -> None:
    for value in ("expire", "EXPIRED", "expired,active", "expired "):
        response = await shared.get("/api/v1/offers", params={"status": value})
        assert "status" in [e["field"] for e in problem(response, 400)["errors"]], value
    assert (await shared.get("/api/v1/offers", params={"status": "expired"})).status_code == 200
