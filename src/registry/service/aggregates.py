"""The registry's aggregates, as the write side runs them."""

from __future__ import annotations

from registry.domain import need, offer, plan, token, unit
from registry.service.execute import Aggregate

UNITS: Aggregate[unit.Unit] = Aggregate("unit", unit.evolve, unit.decide)
OFFERS: Aggregate[offer.Offer] = Aggregate("offer", offer.evolve, offer.decide)
NEEDS: Aggregate[need.Need] = Aggregate("need", need.evolve, need.decide)
PLANS: Aggregate[plan.Plan] = Aggregate("plan", plan.evolve, plan.decide)
TOKENS: Aggregate[token.Token] = Aggregate("token", token.evolve, token.decide)
