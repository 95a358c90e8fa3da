"""How matching ranks: the factors' weights, the tuning of their curves, the reciprocity window."""

from __future__ import annotations

import msgspec

from registry.matching.scoring import Tuning, Weights


class MatchConfig(msgspec.Struct, frozen=True, kw_only=True):
    weights: Weights = Weights()
    tuning: Tuning = Tuning()
    # "Received help recently": this many days before the demand starts.
    reciprocity_days: int = 90
