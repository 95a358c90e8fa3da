"""Operations: liveness, readiness, Prometheus metrics."""

from __future__ import annotations

import hmac
import os
from typing import Any

import asyncpg
import msgspec
from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Info, generate_latest

from events.outage import is_unavailable
from events.watch import Failure
from registry.api.docs import BEARER
from registry.api.params import PROBLEMS
from registry.domain.errors import Unauthenticated

LOG_HEAD = Gauge("registry_log_head_position", "Position of the last event in the log")
PROJECTION_LAG = Gauge("registry_projection_lag_events", "Events the read model has yet to apply")
PROJECTION_LEADER = Gauge(
    "registry_projection_leader", "1 while this process leads the projection runner (applies events), else 0"
)
PROJECTION_BATCHES = Counter(
    "registry_projection_batches", "Batches the projection runner of this process committed", ["projection"]
)
PROJECTION_EVENTS = Counter(
    "registry_projection_events",
    "Log positions this process's projection runner applied",
    ["projection"],
)
PROJECTION_FAILURES = Counter(
    "registry_projection_failures",
    "Batches that failed to apply (the events stay in the log, the checkpoint stays before them)",
    ["projection"],
)
# Uvicorn's workers share one port, so a scrape reaches any of them: the pid says which one answered.
PROCESS = Info("registry_process", "The server process that answered this scrape")
READY_TIMEOUT_SECONDS = 2.0


def projection_batch(name: str, positions: int) -> None:
    PROJECTION_BATCHES.labels(name).inc()
    PROJECTION_EVENTS.labels(name).inc(positions)


def projection_failure(failure: Failure) -> None:
    PROJECTION_FAILURES.labels(failure.name).inc()


@get(
    "/health",
    operation_id="health",
    tags=["ops"],
    sync_to_thread=False,
    summary="Liveness",
    description="**Who may call it:** anyone, without a token.\n\n**What it changes:** Nothing: the process "
    "answers `{status: ok}`.\n\n**Errors:** none.",
)
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


class Readiness(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    status: str
    head_position: int | None = None
    head_hash: str | None = None
    # With a read replica (REGISTRY_READ_DATABASE_URL): the position its read models are at.
    replica_position: int | None = None
    detail: str | None = None


@get(
    "/ready",
    operation_id="ready",
    tags=["ops"],
    summary="Readiness",
    description="**Who may call it:** anyone, without a token.\n\n**What it changes:** Nothing: says whether "
    "the database answers and the read model has caught up with the log.\n\n**Errors:**\n\n"
    "- `503`: the database or the read model is not ready (see `detail`; Retry-After)",
    responses={503: ResponseSpec(Readiness, description="The database or the read model is not ready")},
)
async def ready(request: Request[Any, Any, Any]) -> Response[Readiness]:
    """Readiness: the database answers and the read model has caught up with the log."""
    state = request.app.state
    for failure in state.runner.watch.failures.values():
        body = Readiness(
            status="unavailable",
            detail=f"projection {failure.name} is stuck after position {failure.position}: {failure.reason}",
        )
        return Response(body, status_code=503, headers={"Retry-After": "2"})
    try:
        position, head_hash = await state.store.head()
        await state.runner.wait_for(position, timeout=READY_TIMEOUT_SECONDS)
        # A standby that lags is still ready (its reads say how far they are); one that is gone is not.
        reads = state.registry.reads
        replica_position = await reads.position() if reads.is_replica else None
    except Exception as error:
        # Not ready, whatever the database said (not migrated, say); any other error is a bug.
        if not (isinstance(error, asyncpg.PostgresError) or is_unavailable(error)):
            raise
        body = Readiness(status="unavailable", detail=str(error) or type(error).__name__)
        return Response(body, status_code=503, headers={"Retry-After": "2"})
    return Response(
        Readiness(
            status="ready", head_position=position, head_hash=head_hash, replica_position=replica_position
        )
    )


@get(
    "/metrics",
    operation_id="metrics",
    tags=["ops"],
    media_type=CONTENT_TYPE_LATEST,
    summary="Prometheus metrics",
    description="**Who may call it:** anyone while REGISTRY_METRICS_TOKEN is unset; once set, only with "
    "`Authorization: Bearer <that token>` (not a registry token).\n\n**What it changes:** Nothing: "
    "request, write, log and projection figures in Prometheus text format.\n\n**Errors:**\n\n"
    "- `401`: REGISTRY_METRICS_TOKEN is set and not given",
    # Open, or the metrics token as a bearer token: either requirement satisfies it.
    security=[{BEARER: []}, {}],
    responses={401: PROBLEMS[401]},
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    """Prometheus text format; with REGISTRY_METRICS_TOKEN set, only for `Authorization: Bearer <it>`."""
    state = request.app.state
    _require_metrics_token(state.settings.metrics_token, request.headers.get("authorization"))
    position, _ = await state.store.head()
    checkpoints = await state.runner.positions()
    LOG_HEAD.set(position)
    PROJECTION_LAG.set(max(position - min(checkpoints.values(), default=position), 0))
    PROJECTION_LEADER.set(1 if state.runner.is_leader else 0)
    PROCESS.info({"pid": str(os.getpid())})
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _require_metrics_token(expected: str | None, authorization: str | None) -> None:
    """Unset, the metrics are open (a scraper inside the network, as before); set, they answer only
    a scraper that sends it. Compared in constant time: the answer tells nothing of how near a
    guess came."""
    if expected is None:
        return
    scheme, _, sent = (authorization or "").partition(" ")
    if not (scheme.lower() == "bearer" and hmac.compare_digest(sent.strip().encode(), expected.encode())):
        raise Unauthenticated("/metrics needs the metrics token (REGISTRY_METRICS_TOKEN) as a Bearer token")
