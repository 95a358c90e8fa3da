"""Configuration: one frozen Settings value, read from the environment once."""

from __future__ import annotations

import math
import os
import re

import msgspec

from registry.matching.config import MatchConfig
from registry.matching.scoring import Weights
from registry.service.context import Clock, wall_clock


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything the registry is configured with; `create_app(settings)` receives it."""

    database_url: str
    # How long /ready and a read may wait for projections to catch up.
    projection_wait_seconds: float = 5.0
    pool_min_size: int = 2
    pool_max_size: int = 10
    # A hot standby of DATABASE_URL to run read-model lists, boards and reports on (None: the
    # primary). Writes, reads by id and the audit log stay on the primary (docs/operations.md).
    read_database_url: str | None = None
    # Bounds on waiting for the database, so that a request facing a database that is gone, or a
    # pool worn out, fails within seconds (503) instead of waiting on the OS: opening a
    # connection, one statement, and borrowing a pooled connection (queueing and opening).
    connect_timeout_seconds: float = 5.0
    command_timeout_seconds: float = 30.0
    acquire_timeout_seconds: float = 10.0
    # The database role every connection of the application assumes (registry/migrations/0003): it may
    # append to the log but never change it. The login role of DATABASE_URL must be able to
    # become it: the owner that migrates can, and so can a LOGIN role granted membership in it.
    database_role: str = "registry_app"
    # Failed authentications from one client address are slowed: after this many within the
    # window, its requests get 429 until the oldest failure leaves the window.
    auth_failure_limit: int = 10
    auth_failure_window_seconds: float = 60.0
    # Matching: the factors' weights and where the history factors saturate.
    matching: MatchConfig = MatchConfig()
    # The secret that signs CSRF tokens and keys page-session hashes, or the file that keeps it;
    # with neither, the database keeps one (registry.secret).
    secret: str | None = None
    secret_file: str | None = None
    # A page session ends after this long unused, and this long after sign-in whatever happens.
    session_idle_minutes: float = 120.0
    session_max_hours: float = 12.0
    # What "now" is for the rules that depend on it; tests pass a clock they move.
    clock: Clock = wall_clock
    # The bytes of answered list pages each process keeps to answer again (registry.edge.page_cache).
    list_cache_bytes: int = 32 * 1024 * 1024
    # When set, /metrics answers only `Authorization: Bearer <this>` (unset: open, as /health is).
    metrics_token: str | None = None


MINIMUM_SECRET_LENGTH = 32


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
        read_database_url=os.environ.get("REGISTRY_READ_DATABASE_URL") or None,
        connect_timeout_seconds=_number("REGISTRY_DB_CONNECT_TIMEOUT_SECONDS", 5.0),
        command_timeout_seconds=_number("REGISTRY_DB_COMMAND_TIMEOUT_SECONDS", 30.0),
        acquire_timeout_seconds=_number("REGISTRY_DB_ACQUIRE_TIMEOUT_SECONDS", 10.0),
        database_role=_role_name("REGISTRY_DATABASE_ROLE", "registry_app"),
        auth_failure_limit=int(_number("REGISTRY_AUTH_FAILURE_LIMIT", 10)),
        auth_failure_window_seconds=_number("REGISTRY_AUTH_FAILURE_WINDOW_SECONDS", 60.0),
        matching=MatchConfig(weights=_weights()),
        secret=_secret(),
        secret_file=os.environ.get("REGISTRY_SECRET_FILE") or None,
        session_idle_minutes=_number("REGISTRY_SESSION_IDLE_MINUTES", 120.0),
        session_max_hours=_number("REGISTRY_SESSION_MAX_HOURS", 12.0),
        metrics_token=_token("REGISTRY_METRICS_TOKEN"),
        list_cache_bytes=int(_number("REGISTRY_LIST_CACHE_BYTES", 32 * 1024 * 1024)),
    )


def _secret() -> str | None:
    raw = os.environ.get("REGISTRY_SECRET")
    if not raw:
        return None
    if len(raw) < MINIMUM_SECRET_LENGTH:
        raise SettingsError(f"REGISTRY_SECRET must have at least {MINIMUM_SECRET_LENGTH} characters")
    return raw


def _token(name: str) -> str | None:
    """A token in the environment: unset or empty is none; spaces or control characters would
    never survive an Authorization header, so they are refused at start rather than never matched."""
    raw = os.environ.get(name) or None
    if raw is not None and not re.fullmatch(r"[!-~]{16,}", raw):
        raise SettingsError(f"{name} must be at least 16 printable ASCII characters without spaces")
    return raw


def _weights() -> Weights:
    """REGISTRY_MATCH_WEIGHTS: a JSON object of factor weights, e.g. {"proximity": 3}."""
    raw = os.environ.get("REGISTRY_MATCH_WEIGHTS")
    if not raw:
        return Weights()
    try:
        return msgspec.json.decode(raw, type=Weights)
    except msgspec.DecodeError as error:
        raise SettingsError(f"REGISTRY_MATCH_WEIGHTS: {error}") from None


# An unquoted PostgreSQL identifier: what CREATE ROLE would make of a bare name.
_ROLE = re.compile(r"^[a-z_][a-z0-9_$]{0,62}$")


def _role_name(name: str, default: str) -> str:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if not _ROLE.match(raw):
        raise SettingsError(f"{name}={raw!r} is not a role name (lower-case letters, digits, _; at most 63)")
    return raw


def _number(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    # NaN compares false with everything and would pass the check below; infinity is no bound.
    if not math.isfinite(value):
        raise SettingsError(f"{name}={raw!r} is not a finite number")
    if value <= 0:
        raise SettingsError(f"{name}={raw!r} must be positive")
    return value
