"""The auditor's timeline tells each event in a sentence: who (the token's unit, role and label), what
they did and to what, by name — never a hash, a `token:` id or an event's tag; in both languages.

Every event type has its sentence: a new type without one fails here."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import msgspec
import msgspec.inspect as mi
import pytest
from litestar.testing import AsyncTestClient

from registry.app import create_app
from registry.domain.events import EVENT_TYPES, CommitmentConfirmed, Event
from registry.domain.values import Role
from registry.pages.i18n import translator
from registry.pages.sentences import Teller, asked_by
from registry.pages.words import WORDS
from registry.read.names import CapacityName, CommitmentName, Names, OfferName, TokenName, UnitName
from registry.settings import Settings
from tests.demo_fixture import TRAINING_ID, Demo, DemoTemplate, demo_database
from tests.test_pages import Client, csrf_of, dispatched_unit_liaison, sign_in

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")
_TAGS = re.compile(r"<[^>]+>")
EYE = "medical.eye-screening"


def _sample(info: mi.Type) -> Any:
    """A plausible value of a field's type, to build an event of every type."""
    match info:
        case mi.UnionType():
            return _sample(next(t for t in info.types if not isinstance(t, mi.NoneType | mi.UnsetType)))
        case mi.UUIDType():
            return str(uuid.uuid4())
        case mi.StrType():
            return "公园"
        case mi.IntType():
            return 2
        case mi.FloatType():
            return 1.5
        case mi.DateTimeType():
            return datetime(2030, 1, 1, tzinfo=UTC).isoformat()
        case mi.DateType():
            return date(2030, 1, 1).isoformat()
        case mi.EnumType():
            member = next(iter(info.cls))
            return member.value if isinstance(member, Enum) else member
        case mi.ListType() | mi.DictType():
            return [] if isinstance(info, mi.ListType) else {}
        case mi.StructType():
            return {f.encode_name: _sample(f.type) for f in info.fields if f.required}
    raise AssertionError(f"no sample for {info}")


def sample_of(cls: type[Event]) -> Event:
    info = mi.type_info(cls)
    assert isinstance(info, mi.StructType)
    fields = {f.encode_name: _sample(f.type) for f in info.fields if f.required}
    if "category" in fields:
        fields["category"] = "medical.eye-screening"
    return msgspec.convert(fields, cls)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("tag", sorted(EVENT_TYPES))
def test_every_event_type_has_a_sentence_in_both_languages(tag: str, lang: Any) -> None:
    assert f"event.{tag}" in WORDS, f"no sentence for {tag}"
    zh, en = WORDS[f"event.{tag}"]
    assert zh.strip() and en.strip() and zh != en
    event = sample_of(EVENT_TYPES[tag])
    token = uuid.uuid4()
    unit = uuid.uuid4()
    # What the page would have read for the ids the event mentions: every unit is 和平眼科医院.
    asked = asked_by([(event, f"token:{token}")])
    names = Names(
        tokens={token: TokenName(role=Role.LIAISON, unit_id=unit, label="吴医生")},
        units={u: UnitName(name="和平眼科医院") for u in asked.units | {unit}},
    )
    said = Teller(names, translator(lang), lang).sentence(event, f"token:{token}", "liaison")
    assert said.startswith(
        "和平眼科医院联络员（吴医生） " if lang == "zh" else "The 和平眼科医院 liaison (吴医生) "
    )
    assert "{" not in said and tag not in said and "token:" not in said and not _UUID.search(said), said
    assert "medical.eye-screening" not in said, "a category by its label"


def test_a_dispatch_accepted_reads_as_the_issue_asks() -> None:
    commitment, offer, unit, token = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    names = Names(
        tokens={token: TokenName(role=Role.LIAISON, unit_id=unit)},
        units={unit: UnitName(name="和平眼科医院")},
        offers={offer: OfferName(title="义诊", unit_id=unit, category=EYE, capacity=CapacityName())},
        commitments={
            commitment: CommitmentName(
                unit_id=unit, offer_id=offer, category=EYE, quantity=2
            )
        },
    )  # fmt: skip
    event = CommitmentConfirmed(commitment_id=commitment)
    zh = Teller(names, translator("zh"), "zh").sentence(event, f"token:{token}", "liaison")
    en = Teller(names, translator("en"), "en").sentence(event, f"token:{token}", "liaison")
    assert zh == "和平眼科医院联络员 接受了派单：眼科筛查 2 人"
    assert en == "The 和平眼科医院 liaison accepted a dispatch: Eye screening × 2 people"


@pytest.fixture(scope="module")
def demo(server_dsn: str, demo_template: DemoTemplate, run_prefix: str) -> Iterator[Demo]:
    yield from demo_database(server_dsn, demo_template, f"{run_prefix}_timeline")


@pytest.fixture
async def client(demo: Demo) -> AsyncIterator[Client]:
    async with AsyncTestClient(create_app(Settings(database_url=demo.dsn))) as client:
        client.follow_redirects = False
        yield client


def sentences(html: str) -> list[str]:
    return [_TAGS.sub("", s).strip() for s in re.findall(r'<p class="sentence">(.*?)</p>', html, re.S)]


def visible(html: str) -> str:
    return _TAGS.sub(" ", html.split("<main>")[1])


async def test_the_timeline_names_the_actor_by_token_label_and_unit_in_both_languages(
    client: Client, demo: Demo
) -> None:
    # The coordinator allocates the training through the pages; its liaison accepts by the API.
    await sign_in(client, demo.coordinator)
    dry_run = await client.get(f"/pages/plans/{TRAINING_ID}/allocate")
    proposal = re.search(r'name="proposal" value="([0-9a-f]+)"', dry_run.text)
    assert proposal, dry_run.text
    allocated = await client.post(
        f"/pages/plans/{TRAINING_ID}/allocate",
        data={"proposal": proposal.group(1), "_csrf_token": csrf_of(dry_run.text)},
    )
    assert allocated.status_code == 303, allocated.text
    liaison = {"Authorization": f"Bearer {await dispatched_unit_liaison(demo.dsn)}"}
    waiting = await client.get("/api/v1/commitments?status=proposed", headers=liaison)
    commitment = waiting.json()["items"][0]
    accepted = await client.post(f"/api/v1/commitments/{commitment['id']}/confirm", headers=liaison)
    assert accepted.status_code == 200, accepted.text
    unit_name = (await client.get(f"/api/v1/units/{commitment['unit_id']}", headers=liaison)).json()["name"]

    await sign_in(client, demo.auditor)
    html = (await client.get("/pages/timeline")).text
    told = sentences(html)
    assert len(told) == 50
    assert f"{unit_name}联络员（pages） 接受了派单：讲座 1 场" in told, told[:5]
    assert any(s.startswith("协调员（pages） 一键智能派单") or "智能派单" in s for s in told)
    text = visible(html)
    assert "token:" not in text and not _UUID.search(text)
    for tag in EVENT_TYPES:
        assert re.search(rf"\b{tag}\b", text) is None, f"the raw tag {tag} shows"

    await client.get("/pages/lang?to=en&next=/pages/timeline")
    english = sentences((await client.get("/pages/timeline")).text)
    assert f"The {unit_name} liaison (pages) accepted a dispatch: Lecture × 1 sessions" in english, english[
        :5
    ]
