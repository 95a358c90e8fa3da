"""Every message the registry raises is told in Chinese: the catalogue of `registry.edge.language`.

The source of `registry` is read (ast) for every literal message given to an error: the message
of `FieldError(field, message)`, the text of `Conflict`, `Forbidden` and `Unauthenticated`, and
the `detail=` of an HTTP exception the edge raises (`NotFound` and `PreconditionFailed` build their
texts themselves: tested on their own below). An f-string's values are filled with ASCII samples
chosen by the expression's name (a status, a role, an id…), so a message that is in Chinese only
because its sample was proves nothing. A new message without its shape in the catalogue fails here.
"""

from __future__ import annotations

import ast
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated

import msgspec
import pytest

from registry.domain.errors import Conflict, FieldError, InvalidInput, NotFound, PreconditionFailed
from registry.domain.text import line_problem
from registry.domain.values import Measure
from registry.edge.body import field_error
from registry.edge.language import joined, localize, localize_errors
from registry.pages.i18n import error_message, translator

SOURCE = Path(__file__).resolve().parent.parent / "src" / "registry"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# The errors whose first argument is the message (FieldError's is its second).
MESSAGE_FIRST = {"Conflict", "Forbidden", "Unauthenticated"}
SAMPLE_ID = str(uuid.UUID(int=0x5B1C8C1E3F4E4D4A9A532F6B0D1F7E01))

# Samples by a word in the expression, first match wins; anything else is a number.
SAMPLES: tuple[tuple[str, str], ...] = (
    ("_with_article", "a liaison"),
    ("allowed", "a coordinator or a liaison"),
    ("closed", "the plan is completed"),
    ("made_of", "3 people × 2 hours"),
    ("people_limit_from", "the slot's people_served_limit"),
    ("status", "draft"),
    ("category", "medical.eye-screening"),
    ("measure", "people"),
    ("_id", SAMPLE_ID),
    ("holder", SAMPLE_ID),
    ("what", "slot"),
    ("place", "Ouyang Road"),
    ("area", "Ouyang Road"),
    ("name", "'Heping Eye Hospital'"),
    ("code", "'medical.unknown'"),
    ("valid_until", "2030-01-01T00:00:00+00:00"),
    ("isoformat", "2030-01-01T08:00:00+08:00"),
    ("as_of", "2030-01-01T00:00:00+00:00"),
    ("named", f"{SAMPLE_ID} (claimed)"),
    ("more", " and 2 more"),
    ("error", "malformed data"),
)


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _sample(expression: ast.expr) -> str:
    source = ast.unparse(expression)
    return next((value for word, value in SAMPLES if word in source), "3")


def _filled(node: ast.expr) -> str | None:
    """The literal message `node` holds, its values filled with samples; None if not a literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
            elif isinstance(part, ast.FormattedValue):
                parts.append(_sample(part.value))
        return "".join(parts)
    return None


def _messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _name(node.func)
            if name == "FieldError" and len(node.args) == 2:
                argument: ast.expr | None = node.args[1]
            elif name in MESSAGE_FIRST and node.args:
                argument = node.args[0]
            elif name is not None and name.endswith("Exception"):
                # Litestar's HTTP exceptions raised by the edge (a throttled sign-in) carry a detail.
                argument = next((k.value for k in node.keywords if k.arg == "detail"), None)
            else:
                argument = None
            message = None if argument is None else _filled(argument)
            if message is not None:
                found.append((f"{path.relative_to(SOURCE)}:{node.lineno}", message))
    return found


MESSAGES = _messages()


def test_the_scan_finds_the_messages_of_every_layer() -> None:
    # A scan that found nothing would pass every message; these are from the domain, the
    # service and the edge.
    places = {where.split("/")[0] for where, _ in MESSAGES}
    assert {"domain", "service", "edge"} <= places
    assert len(MESSAGES) > 80


@pytest.mark.parametrize(("where", "message"), MESSAGES, ids=[where for where, _ in MESSAGES])
def test_every_raised_message_is_told_in_chinese(where: str, message: str) -> None:
    assert CHINESE.search(message) is None, f"{where}: the sample itself is Chinese"
    told = localize(message, "zh")
    assert CHINESE.search(told), f"{where}: {message!r} has no shape in the catalogue"
    assert localize(message, "en") == message


@pytest.mark.parametrize("kind", ["unit", "offer", "need", "plan", "slot", "commitment", "token", "stream"])
def test_not_found_names_the_kind_in_chinese(kind: str) -> None:
    told = localize(str(NotFound(kind, SAMPLE_ID)), "zh")
    assert SAMPLE_ID in told
    assert CHINESE.search(told)
    assert kind not in told


def test_a_stale_version_is_told_with_both_versions() -> None:
    assert localize(str(PreconditionFailed(3, 5)), "zh") == (
        "If-Match 期望版本 3，但该记录已是版本 5（已被他人修改，请刷新后重试）"
    )


def test_values_keep_their_figures_and_words_are_translated() -> None:
    assert localize("the offer has 2 left in that window; 5 asked", "zh") == "该资源在此时段仅剩 2，申请了 5"
    assert localize("only a draft can be published (the plan is published)", "zh") == (
        "只有草稿才能发布（当前为「已发布」）"
    )
    assert localize("an auditor may not do this (only a coordinator or a liaison)", "zh") == (
        "审计员无权执行此操作（仅限协调员或联络员）"
    )
    told = localize("the offer's category medical.eye-screening does not fit legal.consultation", "zh")
    assert told == "该资源的类别「眼科筛查」与「法律咨询」不符"
    assert localize("at most 6 (3 people × 2 hours)", "zh") == "最多 6（3 人 × 2 小时）"


def test_a_message_of_no_known_shape_stays_english() -> None:
    assert localize("something nobody wrote a shape for", "zh") == "something nobody wrote a shape for"


class Sample(msgspec.Struct, forbid_unknown_fields=True):
    quantity: Annotated[int, msgspec.Meta(gt=0, le=1_000_000)]
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern="^[^<]*$")]
    starts_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None
    weekdays: Annotated[list[int], msgspec.Meta(min_length=1)] | None = None
    measure: Measure = Measure.PEOPLE
    unit_id: uuid.UUID | None = None


VALID = {"quantity": 1, "title": "眼科筛查"}
INVALID_BODIES = [
    {**VALID, "quantity": "3"},
    {**VALID, "quantity": 0},
    {**VALID, "quantity": 2_000_000},
    {**VALID, "title": "x" * 201},
    {**VALID, "title": ""},
    {**VALID, "title": "<b>"},
    {"title": "眼科筛查"},
    {**VALID, "colour": "red"},
    {**VALID, "starts_at": "2030-01-01T08:00:00"},
    {**VALID, "starts_at": "tomorrow"},
    {**VALID, "weekdays": []},
    {**VALID, "measure": "litres"},
    {**VALID, "unit_id": "not-a-uuid"},
    [],
]


@pytest.mark.parametrize("body", INVALID_BODIES)
def test_msgspec_validation_messages_are_told_in_chinese(body: object) -> None:
    with pytest.raises(msgspec.ValidationError) as raised:
        msgspec.json.decode(msgspec.json.encode(body), type=Sample, strict=True)
    # As the API names it (the path moved into the field) and as msgspec says it (path kept).
    error = field_error(raised.value)
    told = localize(error.message, "zh")
    assert CHINESE.search(told), error.message
    whole = localize(str(raised.value), "zh")
    assert CHINESE.search(whole), str(raised.value)


def test_field_errors_keep_their_fields_and_tell_their_messages() -> None:
    errors = [
        FieldError("capacity.quantity", "Expected `int`, got `str`"),
        FieldError("ends_at", "must be after starts_at"),
    ]
    told = localize_errors(errors, "zh")
    assert [e.field for e in told] == ["capacity.quantity", "ends_at"]
    assert joined(told) == "capacity.quantity: 应为 整数，实际为 字符串; ends_at: 须晚于 starts_at"
    assert localize_errors(errors, "en") == errors


@pytest.mark.parametrize("text", ["\u202eabc", "   ", "\u200b"])
def test_a_line_that_cannot_be_taken_is_told_why_in_chinese(text: str) -> None:
    problem = line_problem(text)
    assert problem is not None
    assert CHINESE.search(localize(problem, "zh")), problem


def test_the_pages_tell_a_conflict_and_a_refused_input_in_their_language() -> None:
    conflict = Conflict("only a draft can be published (the plan is published)")
    assert error_message(conflict, translator("zh")).endswith("只有草稿才能发布（当前为「已发布」）")
    assert error_message(conflict, translator("en")).endswith(str(conflict))
    refused = InvalidInput([FieldError("ends_at", "must be after starts_at")])
    assert error_message(refused, translator("zh")).endswith("ends_at: 须晚于 starts_at")
    assert error_message(refused, translator("en")).endswith("ends_at: must be after starts_at")
