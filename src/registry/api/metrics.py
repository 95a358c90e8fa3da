"""Request metrics for Prometheus: counts by route and status, and a latency histogram.

Recorded by the API's own layer (registry.api.gate) rather than Litestar's PrometheusMiddleware,
which cost ~100 µs a request here (a third of a single-offer GET); the labelled children made
are kept.
"""

from __future__ import annotations

from typing import Any

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "registry_requests", "HTTP requests by method, route and status", ["method", "path", "status_code"]
)
LATENCY = Histogram(
    "registry_request_duration_seconds", "HTTP request latency by method and route", ["method", "path"]
)
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def metrics_for(method: str, path: str, status: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of one method, route and status."""
    key = (method, path, status)
    found = _children.get(key)
    if found is None:
        found = _children[key] = (REQUESTS.labels(method, path, str(status)), LATENCY.labels(method, path))
    return found
