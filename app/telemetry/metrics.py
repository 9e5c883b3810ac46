"""Prometheus metrics of the background workers (placement outcomes, circuit state)
and of reading from replicas.

prometheus-client picks single- or multi-process storage when it is first
imported (from PROMETHEUS_MULTIPROC_DIR), and `procura serve` sets that
variable only just before the server's workers fork. So nothing here imports
prometheus-client at module level: each metric is built on first use, which
happens in a worker process, after the variable is set.

Every server worker process has its own circuit breakers, so the
circuit gauge uses multiprocess_mode "livemax": /metrics shows the worst
state any live process is in (an open circuit anywhere is worth an alert),
and a dead worker's state disappears with it (app.http.observability.forget_exited_processes).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

#: Gauge values of procura_supplier_circuit_state.
CIRCUIT_VALUES = {"closed": 0, "half-open": 1, "open": 2}

#: Placement outcomes counted by procura_placement_outcomes_total:
#: placed, queued, refused (the supplier said no), failed (we gave up),
#: retried (a transient failure, tried again later), timed_out (a call got no
#: answer in time), circuit_open (a call held back by the breaker).
PLACEMENT_OUTCOMES = ("placed", "queued", "refused", "failed", "retried", "timed_out", "circuit_open")

#: Why a read passed over a replica (procura_replica_skipped_total): it could
#: not be reached, was too far behind, is not a standby, had no recent check,
#: or failed during the read.
REPLICA_SKIP_REASONS = ("down", "lagging", "not_standby", "unchecked", "failed")
#: Which store answered a read-model read (procura_read_model_reads_total).
READ_SOURCES = ("replica", "primary")


def made_once(make: Callable[[], Any]) -> Callable[[], Any]:
    """`make()`'s result, made on the first call only, even when threads race
    to it (functools.cache may call it twice, and the registry refuses a
    second metric of one name: the sender's first attempts then failed)."""
    made: list[Any] = []
    lock = threading.Lock()

    @functools.wraps(make)
    def get() -> Any:
        if not made:
            with lock:
                if not made:
                    made.append(make())
        return made[0]

    return get


@made_once
def _placement_counter():
    from prometheus_client import Counter

    return Counter("procura_placement_outcomes_total", "Placement steps by supplier and outcome",
                   ["supplier", "outcome"])


@made_once
def _circuit_gauge():
    from prometheus_client import Gauge

    return Gauge("procura_supplier_circuit_state", "Circuit breaker per supplier: 0 closed, 1 half-open, 2 open",
                 ["supplier"], multiprocess_mode="livemax")


def count_placement(supplier: str, outcome: str) -> None:
    """Count one placement outcome (one of PLACEMENT_OUTCOMES) for `supplier`."""
    if outcome not in PLACEMENT_OUTCOMES:
        raise ValueError(f"unknown placement outcome {outcome!r}")
    _placement_counter().labels(supplier, outcome).inc()


def report_circuit(supplier: str, state: str) -> None:
    """Publish `supplier`'s breaker state ("closed", "half-open" or "open")."""
    _circuit_gauge().labels(supplier).set(CIRCUIT_VALUES[state])


@made_once
def _replica_skips():
    from prometheus_client import Counter

    return Counter("procura_replica_skipped_total", "Read-model reads that passed over a replica, by reason",
                   ["replica", "reason"])


@made_once
def _reads():
    from prometheus_client import Counter

    return Counter("procura_read_model_reads_total", "Read-model reads by the store that answered", ["source"])


def count_replica_skip(replica: str, reason: str) -> None:
    """Count one read that passed over `replica` (a configured host:port/db) for `reason`."""
    if reason not in REPLICA_SKIP_REASONS:
        raise ValueError(f"unknown replica skip reason {reason!r}")
    _replica_skips().labels(replica, reason).inc()


def count_read(source: str) -> None:
    """Count one read-model read answered by `source` (one of READ_SOURCES)."""
    if source not in READ_SOURCES:
        raise ValueError(f"unknown read source {source!r}")
    _reads().labels(source).inc()


#: Webhook attempts counted by procura_webhook_attempts_total: delivered (a
#: 2xx), retried (to be tried again), failed (the delivery given up), gone (a
#: 410: the endpoint disabled). No endpoint label: endpoints are an org's to make.
WEBHOOK_OUTCOMES = ("delivered", "retried", "failed", "gone")


@made_once
def _webhook_attempts():
    from prometheus_client import Counter

    return Counter("procura_webhook_attempts_total", "Webhook delivery attempts by outcome", ["outcome"])


@made_once
def _webhook_seconds():
    from prometheus_client import Histogram

    return Histogram("procura_webhook_attempt_seconds", "How long one webhook attempt took, answer or not",
                     buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def count_webhook_attempt(outcome: str, seconds: float) -> None:
    """Count one webhook attempt's outcome (one of WEBHOOK_OUTCOMES) and its duration."""
    if outcome not in WEBHOOK_OUTCOMES:
        raise ValueError(f"unknown webhook outcome {outcome!r}")
    _webhook_attempts().labels(outcome).inc()
    _webhook_seconds().observe(seconds)
