"""Configuration: one frozen Settings value, read from the environment once."""

from __future__ import annotations

import os

import msgspec

from registry.matching.board import MatchConfig
from registry.matching.scoring import Weights


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the registry is configured with; `create_app(settings)` receives it."""

    database_url: str
    # How long /ready and a read may wait for projections to catch up.
    projection_wait_seconds: float = 5.0
    pool_min_size: int = 2
    pool_max_size: int = 10
    # Matching: the factors' weights and where the history factors saturate.
    matching: MatchConfig = MatchConfig()


class SettingsError(ValueError):
    """A configuration value is wrong; the message names it."""


def settings_from_env(database_url: str | None = None) -> Settings:
    """Settings from REGISTRY_* variables (and DATABASE_URL), failing fast on a bad value."""
    url = database_url or os.environ.get("DATABASE_URL")
    if not url:
        raise SettingsError("DATABASE_URL is not set (the CLI starts an embedded PostgreSQL for you)")
    return Settings(
        database_url=url,
        projection_wait_seconds=_number("REGISTRY_PROJECTION_WAIT_SECONDS", 5.0),
        pool_min_size=int(_number("REGISTRY_POOL_MIN_SIZE", 2)),
        pool_max_size=int(_number("REGISTRY_POOL_MAX_SIZE", 10)),
        matching=MatchConfig(weights=_weights()),
    )


def _weights() -> Weights:
    """REGISTRY_MATCH_WEIGHTS: a JSON object of factor weights, e.g. {"proximity": 3}."""
    raw = os.environ.get("REGISTRY_MATCH_WEIGHTS")
    if not raw:
        return Weights()
    try:
        return msgspec.json.decode(raw, type=Weights)
    except msgspec.DecodeError as error:
        raise SettingsError(f"REGISTRY_MATCH_WEIGHTS: {error}") from None


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be positive")
    return value
