"""The registry's aggregates, as the write side runs them."""

from __future__ import annotations

from registry.domain import commitment, need, offer, plan, token, unit, unit_name
from registry.domain.events import Event
from registry.service.execute import Aggregate


def _no_decide(state: object, command: object) -> list[Event]:
    """Commitments are decided across streams (see registry.service.work), never alone."""
    raise NotImplementedError("commitment steps run as units of work")


UNITS: Aggregate[unit.Unit] = Aggregate("unit", unit.evolve, unit.decide)
OFFERS: Aggregate[offer.Offer] = Aggregate("offer", offer.evolve, offer.decide)
NEEDS: Aggregate[need.Need] = Aggregate("need", need.evolve, need.decide)
PLANS: Aggregate[plan.Plan] = Aggregate("plan", plan.evolve, plan.decide)
TOKENS: Aggregate[token.Token] = Aggregate("token", token.evolve, token.decide)
UNIT_NAMES: Aggregate[unit_name.NameHold] = Aggregate("unitname", unit_name.evolve, unit_name.decide)
COMMITMENTS: Aggregate[commitment.Commitment] = Aggregate("commitment", commitment.evolve, _no_decide)
