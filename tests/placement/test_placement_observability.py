"""What an operator sees of placements: outcome counters, the circuit state
per supplier, and log lines that carry the operation they concern."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
from prometheus_client import REGISTRY

from app.serving.observability import JsonFormatter
from testkit.server import ROOT, wait_until


def placements(outcome: str, supplier: str = "acme") -> float:
    return REGISTRY.get_sample_value("procura_placement_outcomes_total",
                                     {"supplier": supplier, "outcome": outcome}) or 0.0


def circuit(supplier: str = "acme") -> float | None:
    return REGISTRY.get_sample_value("procura_supplier_circuit_state", {"supplier": supplier})


@contextmanager
def json_lines(logger: str):
    """Collect what `logger` writes, formatted as the JSON lines operators read."""
    lines: list[dict] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(json.loads(JsonFormatter().format(record)))
    logging.getLogger(logger).addHandler(handler)
    try:
        yield lines
    finally:
        logging.getLogger(logger).removeHandler(handler)


@pytest.mark.postgres
def test_a_placed_order_is_counted_and_its_log_lines_name_the_operation(stack):
    before = placements("placed")
    with json_lines("procura.placement") as lines:
        po_id, version = stack.approved_po()
        operation = stack.place(po_id, version)
        stack.finished(operation["id"])
        wait_until(lambda: placements("placed") == before + 1, 5, what="the placed count")
    [placed] = [line for line in lines if line.get("outcome") == "placed"]
    assert (placed["operation_id"], placed["correlation_id"], placed["po_id"], placed["supplier"]) == \
        (operation["id"], operation["id"], po_id, "acme")


@pytest.mark.postgres
def test_a_call_that_times_out_is_counted_as_timed_out_then_retried(stack):
    before = {o: placements(o) for o in ("timed_out", "retried")}
    stack.partner.faults(timeout_next=1)
    po_id, version = stack.approved_po()
    with json_lines("procura.placement") as lines:
        operation = stack.place(po_id, version)
        # The order may be settled by the partner's callback: wait for the retry itself.
        wait_until(lambda: placements("retried") > before["retried"], 10, what="the retry")
        assert stack.finished(operation["id"])["status"] == "succeeded"
    assert placements("timed_out") == before["timed_out"] + 1
    assert placements("retried") == before["retried"] + 1
    retried = [line for line in lines if line.get("outcome") == "retried"]
    assert [line["operation_id"] for line in retried] == [operation["id"]]


@pytest.mark.postgres
def test_the_circuit_gauge_shows_open_while_a_supplier_keeps_failing_and_closed_once_it_recovers(stack):
    assert circuit() == 0  # published as soon as the executor starts
    before = placements("circuit_open")
    stack.partner.faults(error_rate=1.0)
    po_id, version = stack.approved_po()
    operation = stack.place(po_id, version)
    wait_until(lambda: circuit() == 2, 10, what="the gauge to show the circuit open")
    wait_until(lambda: placements("circuit_open") > before, 10, what="a call held back by the breaker")
    stack.partner.faults(error_rate=0.0)
    assert stack.finished(operation["id"])["status"] == "succeeded"
    wait_until(lambda: circuit() == 0, 5, what="the gauge to show the circuit closed")


REPORT = """
import sys
from app.serving.metrics import count_placement, report_circuit
report_circuit("acme", sys.argv[1])
count_placement("acme", "placed")
"""


def test_under_gunicorn_the_worst_circuit_state_of_any_worker_is_shown_and_outcomes_add_up(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for state in ("closed", "open", "half-open"):  # three worker processes
        subprocess.run([sys.executable, "-c", REPORT, state], cwd=ROOT, env=env, check=True)
    read = ("from prometheus_client import CollectorRegistry, generate_latest, multiprocess\n"
            "r = CollectorRegistry(); multiprocess.MultiProcessCollector(r); print(generate_latest(r).decode())")
    text = subprocess.run([sys.executable, "-c", read], env=env, capture_output=True, text=True, check=True).stdout
    # The files stay until gunicorn marks a process dead, so all three count here.
    assert 'procura_placement_outcomes_total{outcome="placed",supplier="acme"} 3.0' in text
    assert 'procura_supplier_circuit_state{supplier="acme"} 2.0' in text


def test_an_unknown_placement_outcome_is_a_programming_error():
    from app.serving.metrics import count_placement

    with pytest.raises(ValueError):
        count_placement("acme", "exploded")
