"""Every request logged and measured, and /metrics.

One JSON log line per request (app.telemetry.logs) (request id, principal, route, status,
latency, command id). Metrics use prometheus-client; `procura serve` sets
`PROMETHEUS_MULTIPROC_DIR` before the workers fork, and `/metrics`
aggregates every worker's samples.
"""

from __future__ import annotations

import functools
import glob
import logging
import os
import time
from typing import Any

from eventsourcing.persistence import PersistenceError
from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

from app.http.access import open_route
from app.http.openapi import documented
from app.schema import release
from app.telemetry import tracing
from app.telemetry.logs import configure_logging

REQUEST_SECONDS = Histogram(
    "procura_http_request_duration_seconds", "HTTP request latency", ["route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
COMMAND_OUTCOMES = Counter(
    "procura_command_outcomes_total", "Commands by outcome", ["command", "outcome"],
)
#: How a command's answer is counted (first match wins).
OUTCOME_BY_SLUG = {
    "version-conflict": "conflict", "idempotency-key-in-flight": "conflict",
    "illegal-transition": "illegal",
    "forbidden": "forbidden", "separation-of-duties": "forbidden", "approval-limit-exceeded": "forbidden",
    "not-found": "forbidden",
}

log = logging.getLogger("procura.requests")
#: Methods counted under their own name; any other token a client sends is
#: "other", so made-up methods cannot grow /metrics without bound.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def command_outcome(status: int, slug: str | None, replayed: bool) -> str:
    if replayed:
        return "replayed"
    if status < 400:
        return "applied"
    if slug in OUTCOME_BY_SLUG:
        return OUTCOME_BY_SLUG[slug]
    return "invalid" if status < 500 else "error"


def _start_timer() -> None:
    g.started = time.perf_counter()


def _observe(response: Response) -> Response:
    """after_request: read what the request's line and metrics need now (the
    request context is gone by then), record them once the server has sent
    the response (`call_on_close`), off the time the client waits."""
    req = request._get_current_object()  # one context lookup, not one per use
    elapsed = time.perf_counter() - g.get("started", time.perf_counter())
    rule = req.url_rule
    route = rule.rule if rule else "unrouted"
    status = response.status_code
    replayed = response.headers.get("Idempotent-Replayed") == "true"
    is_command = req.method == "POST" and rule is not None and route.startswith("/purchase-orders")
    outcome = None
    if is_command:
        command = route.rsplit("/", 1)[1] if "<" in route else "create"
        outcome = (command, command_outcome(status, g.get("problem_slug"), replayed))
    principal = g.get("principal")
    fields = {
        "request_id": g.get("request_id"),
        "principal": principal.caller if principal else None,
        "method": req.method,
        "route": route,
        "status": status,
        "latency_ms": round(elapsed * 1000, 2),
        "command_id": req.headers.get("Idempotency-Key") if is_command else None,
        "replayed": replayed or None,
    }
    trace_id = tracing.trace_id()  # the line is written after the request's span has ended
    if trace_id is not None:
        fields["trace_id"] = trace_id
    response.call_on_close(functools.partial(_record, fields, elapsed, outcome))
    return response


def _record(fields: dict[str, Any], elapsed: float, outcome: tuple[str, str] | None) -> None:
    """The request's metrics and its one log line."""
    method = fields["method"] if fields["method"] in KNOWN_METHODS else "other"
    _request_seconds(fields["route"], method, fields["status"]).observe(elapsed)
    if outcome:
        COMMAND_OUTCOMES.labels(*outcome).inc()
    log.info("request", extra={"fields": fields})


@functools.lru_cache(maxsize=1024)
def _request_seconds(route: str, method: str, status: int):
    """The histogram's child for these labels, looked up once: `labels()`
    validates and locks on every call. Every label comes from a fixed set
    (route rules, KNOWN_METHODS, status codes)."""
    return REQUEST_SECONDS.labels(route, method, str(status))


class ProjectionLag:
    """Collects each read model's lag (store head minus its position) at scrape time."""

    def __init__(self, services: Any):
        self.services = services

    def collect(self):
        gauge = GaugeMetricFamily("procura_projection_lag_events", "Events a read model is behind",
                                  labels=["projection"])
        try:
            head = self.services.event_store.head_position()
            positions = self.services.read_store.positions()
        except PersistenceError:  # a scrape must not fail because the database is down
            return [gauge]
        for name, row in positions.items():
            gauge.add_metric([name], max(head - int(row["position"]), 0))
        return [gauge]


class BuildInfo:
    """`procura_build_info{release, schema} 1`: what this process runs, on
    which schema version it started (a rolling upgrade shows both releases)."""

    def __init__(self, services: Any):
        self.services = services

    def collect(self):
        info = GaugeMetricFamily("procura_build_info", "The release this process runs and its schema version",
                                 labels=["release", "schema"])
        info.add_metric([release(), str(self.services.schema.version)], 1)
        return [info]


bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@open_route
@documented(summary="Prometheus metrics (text format)", tag="service", problems=("internal-error",),
            media_types=("text/plain",))
def metrics() -> Response:
    if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        body = live_processes_metrics(directory)
    else:
        from prometheus_client import REGISTRY

        body = generate_latest(REGISTRY)
    services = current_app.extensions["procura"]
    scraped = CollectorRegistry()
    scraped.register(ProjectionLag(services))
    scraped.register(BuildInfo(services))
    # content_type, not mimetype: CONTENT_TYPE_LATEST already names its charset.
    return Response(body + generate_latest(scraped), content_type=CONTENT_TYPE_LATEST)


def live_processes_metrics(directory: str) -> bytes:
    """The samples every server process wrote to `directory`, in Prometheus'
    text format, without the live gauges of processes that have exited."""
    forget_exited_processes(directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


def forget_exited_processes(directory: str) -> None:
    """Drop the live gauges (multiprocess modes live*) of worker processes that
    have exited, so a dead worker's state leaves /metrics with it."""
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = int(path.rsplit("_", 1)[1].removesuffix(".db"))
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except PermissionError:  # alive, someone else's
            pass


def install(flask_app: Flask, log_level: str = "info") -> None:
    """Time and log every request of `flask_app`, and serve /metrics."""
    configure_logging(log_level)
    flask_app.before_request(_start_timer)
    flask_app.after_request(_observe)
    flask_app.register_blueprint(bp)
