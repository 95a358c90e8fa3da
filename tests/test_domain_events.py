"""Every registry event round-trips through its stored encoding, and its tag is stable."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import TypedCodec
from registry.domain.events import EVENT_TYPES, Event, RegistryEvent, tag_of
from registry.domain.values import Capacity, Measure, OneOffWindow, WeeklyWindow

# The stored type of each event. Renaming a class must never change these.
STABLE_TAGS = {
    "UnitRegistered": "unit_registered", "UnitProfileUpdated": "unit_profile_updated",
    "OfferSubmitted": "offer_submitted", "OfferRevised": "offer_revised", "OfferPaused": "offer_paused",
    "OfferResumed": "offer_resumed", "OfferWithdrawn": "offer_withdrawn", "NeedRaised": "need_raised",
    "NeedClosed": "need_closed", "NeedCancelled": "need_cancelled", "PlanDrafted": "plan_drafted",
    "SlotAdded": "slot_added", "PlanPublished": "plan_published", "PlanCancelled": "plan_cancelled",
    "TokenIssued": "token_issued", "TokenRevoked": "token_revoked", "PlanCompleted": "plan_completed",
    "PlanAllocated": "plan_allocated", "CommitmentProposed": "commitment_proposed",
    "CommitmentClaimed": "commitment_claimed", "CommitmentConfirmed": "commitment_confirmed",
    "CommitmentDeclined": "commitment_declined", "CommitmentReleased": "commitment_released",
    "CommitmentFulfilled": "commitment_fulfilled", "CommitmentNoShow": "commitment_no_show",
    "CapacityHeld": "capacity_held", "CapacityFreed": "capacity_freed", "DemandCovered": "demand_covered",
    "ContactAdded": "contact_added", "ContactErased": "contact_erased",
    "FulfilmentCorrected": "fulfilment_corrected",
    "FulfilmentCorrectionRequested": "fulfilment_correction_requested",
    "NeedPeopleLimitSet": "need_people_limit_set", "SlotPeopleLimitSet": "slot_people_limit_set",
    "UnitNameClaimed": "unit_name_claimed", "UnitNameReleased": "unit_name_released",
    "SlotRevised": "slot_revised", "SlotRemoved": "slot_removed",
}  # fmt: skip


def test_every_event_class_has_its_stable_tag() -> None:
    assert {cls.__name__: tag for tag, cls in EVENT_TYPES.items()} == STABLE_TAGS


def test_events_are_frozen() -> None:
    for cls in EVENT_TYPES.values():
        assert cls.__struct_config__.frozen, cls


def _struct(cls: type[msgspec.Struct]) -> st.SearchStrategy[msgspec.Struct]:
    """Every field drawn from its type (hypothesis would keep msgspec's default factories)."""
    return st.builds(cls, **{f.name: st.from_type(f.type) for f in msgspec.structs.fields(cls)})


st.register_type_strategy(msgspec.UnsetType, st.just(msgspec.UNSET))
# JSON has no infinities or NaN; the registry's floats (hours, weights, scores) are finite.
st.register_type_strategy(float, st.floats(allow_nan=False, allow_infinity=False))
st.register_type_strategy(
    Capacity, st.builds(Capacity, quantity=st.integers(1, 1_000_000), measure=st.sampled_from(Measure))
)
st.register_type_strategy(
    WeeklyWindow,
    st.builds(
        WeeklyWindow, weekdays=st.lists(st.integers(1, 7), min_size=1, max_size=7, unique=True),
        start_time=st.times(), end_time=st.times(), from_date=st.dates(), to_date=st.dates(),
    ),
)  # fmt: skip
st.register_type_strategy(OneOffWindow, _struct(OneOffWindow))
union_decoder = msgspec.json.Decoder(RegistryEvent)
codec = TypedCodec(EVENT_TYPES)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_event_round_trips_through_encode_and_decode(event_type: str, data: st.DataObject) -> None:
    event: Event = data.draw(_struct(EVENT_TYPES[event_type]))  # type: ignore[assignment]
    encoded = msgspec.json.encode(event)
    assert union_decoder.decode(encoded) == event
    decoded, version = codec.decode(tag_of(event), 1, encoded.decode())
    assert (decoded, version) == (event, 1)
