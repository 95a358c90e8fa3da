"""A plan's rows hold what encoding its state and its document whole would give, at every version.

The fold encodes each slot once per change and splices the encoded slots into the plan's state
and document (registry.read.memo): a page of a plan's events, one slot changing at a time, must
still give every version exactly as encoded whole, the unchanged slots' figures included.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from events import RecordedEvent
from registry.domain import plan
from registry.domain.events import DemandCovered, Event, PlanDrafted, PlanPublished, SlotAdded, SlotRevised
from registry.domain.values import CommitmentStatus
from registry.read.fold import Build
from registry.read.views import PlanView

START = datetime(2026, 12, 5, 9, tzinfo=UTC)


def _recorded(position: int, stream: str, version: int, data: Event) -> RecordedEvent:
    return RecordedEvent(
        position, stream, version, type(data).__struct_config__.tag, data, "{}",  # type: ignore[arg-type]
        START, b"", uuid.uuid4(), 1,
    )  # fmt: skip


def _events(plan_id: uuid.UUID, slots: list[uuid.UUID]) -> list[Event]:
    events: list[Event] = [
        PlanDrafted(
            plan_id=plan_id, title='义诊 "冬至" \\ 第一场', venue="社区党群服务中心", area="虹口区",
            starts_at=START, ends_at=START + timedelta(hours=4), expected_attendance=None,
        ),
        *[
            SlotAdded(
                plan_id=plan_id, slot_id=slot, category="health.checkup", quantity=3,
                starts_at=START, ends_at=START + timedelta(hours=2), notes=f"第{i}组\n带\t表格",
            )
            for i, slot in enumerate(slots)
        ],
        PlanPublished(plan_id=plan_id),
    ]  # fmt: skip
    for round_ in range(2):
        for slot in slots:
            events.append(
                DemandCovered(
                    plan_id=plan_id, slot_id=slot, commitment_id=uuid.uuid4(), unit_id=uuid.uuid4(),
                    quantity=1, status=CommitmentStatus.CONFIRMED if round_ else CommitmentStatus.CLAIMED,
                )
            )  # fmt: skip
    events.append(
        SlotRevised(
            plan_id=plan_id, slot_id=slots[1], category="health.checkup", quantity=5,
            starts_at=START, ends_at=START + timedelta(hours=3), notes=None,
        )
    )  # fmt: skip
    return events


def test_every_version_of_a_plan_in_one_page_is_stored_as_encoded_whole() -> None:
    plan_id, slots = uuid.uuid4(), [uuid.uuid4() for _ in range(3)]
    events = _events(plan_id, slots)
    stream = f"plan-{plan_id}"
    build = Build()
    build.add([_recorded(i + 1, stream, i + 1, e) for i, e in enumerate(events)])
    (batch,) = build.take().batches  # type: ignore[attr-defined]
    state: Any = None
    assert len(batch.rows) == len(events)
    for event, row in zip(events, batch.rows, strict=True):
        state = plan.evolve(state, event)
        stored_state, stored_doc = row[-5], row[-4]
        assert stored_state == msgspec.json.encode(state)
        doc = msgspec.json.decode(stored_doc, type=PlanView)
        assert msgspec.json.encode(doc) == stored_doc
        assert [(s.id, s.quantity, s.committed, s.notes) for s in doc.slots] == [
            (s.id, s.quantity, s.committed, s.notes) for s in state.slots
        ]
        assert all(s.plan_id == plan_id for s in doc.slots)
