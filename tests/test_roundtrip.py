"""Any JSON payload comes back exactly as appended, and its hash verifies."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events import EventStore, Metadata, NewEvent
from events.chain import record_bytes

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.dictionaries(st.text(), json_values, max_size=5),
    actor=st.text(min_size=1).filter(lambda a: "\x00" not in a),
)
async def test_payload_and_metadata_round_trip_and_verify(
    store: EventStore, data: dict[str, Any], actor: str
) -> None:
    result = await store.append("s", [NewEvent(type="t", data=data, metadata=Metadata(actor=actor))])
    [event] = [e async for e in store.read_all(after=result.position - 1)]
    assert event.data == data
    assert event.metadata.actor == actor
    assert (await store.verify()).ok


@given(
    a=st.tuples(st.text(), st.text(), st.text(), st.text()),
    b=st.tuples(st.text(), st.text(), st.text(), st.text()),
)
def test_distinct_rows_have_distinct_record_bytes(
    a: tuple[str, str, str, str], b: tuple[str, str, str, str]
) -> None:
    import uuid
    from datetime import UTC, datetime

    moment = datetime(2026, 11, 24, tzinfo=UTC)
    event_id = uuid.UUID(int=1)

    def encode(row: tuple[str, str, str, str]) -> bytes:
        return record_bytes(1, event_id, row[0] or "s", 1, row[1] or "t", 1, moment, row[2], row[3])

    if (a[0] or "s", a[1] or "t", a[2], a[3]) != (b[0] or "s", b[1] or "t", b[2], b[3]):
        assert encode(a) != encode(b)
