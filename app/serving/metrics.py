"""Prometheus metrics of the background workers (placement outcomes, circuit state).

prometheus-client picks single- or multi-process storage when it is first
imported (from PROMETHEUS_MULTIPROC_DIR), and `procura serve` sets that
variable only just before gunicorn forks. So nothing here imports
prometheus-client at module level: each metric is built on first use, which
happens in a worker process, after the variable is set.

Under gunicorn every worker process has its own circuit breakers, so the
circuit gauge uses multiprocess_mode "livemax": /metrics shows the worst
state any live process is in (an open circuit anywhere is worth an alert),
and a dead worker's state disappears with it.
"""

from __future__ import annotations

from functools import cache

#: Gauge values of procura_supplier_circuit_state.
CIRCUIT_VALUES = {"closed": 0, "half-open": 1, "open": 2}

#: Placement outcomes counted by procura_placement_outcomes_total:
#: placed, queued, refused (the supplier said no), failed (we gave up),
#: retried (a transient failure, tried again later), timed_out (a call got no
#: answer in time), circuit_open (a call held back by the breaker).
PLACEMENT_OUTCOMES = ("placed", "queued", "refused", "failed", "retried", "timed_out", "circuit_open")


@cache
def _placement_counter():
    from prometheus_client import Counter

    return Counter("procura_placement_outcomes_total", "Placement steps by supplier and outcome",
                   ["supplier", "outcome"])


@cache
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
