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

from app.http.observability import live_processes_metrics
from app.telemetry.logs import JsonFormatter
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


#: A server worker process: reports its circuit state and a placement, then
#: lives until its stdin closes.
REPORT = """
import sys
from app.telemetry.metrics import count_placement, report_circuit
report_circuit("acme", sys.argv[1])
count_placement("acme", "placed")
sys.stdin.read()
"""


@contextmanager
def worker_processes(directory, states):
    """One live process per circuit state in `states`, writing to `directory`."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    workers = [subprocess.Popen([sys.executable, "-c", REPORT, state], cwd=ROOT, env=env, stdin=subprocess.PIPE)
               for state in states]
    try:
        wait_until(lambda: len(list(directory.glob("gauge_livemax_*.db"))) == len(states), 15,
                   what="every worker's circuit gauge")
        yield
    finally:
        for worker in workers:
            worker.communicate(b"", timeout=15)


def scrape(directory) -> str:
    """What /metrics shows of the samples in `directory`."""
    return live_processes_metrics(str(directory)).decode()


def test_the_worst_circuit_state_of_any_live_worker_is_shown_and_outcomes_add_up(tmp_path):
    with worker_processes(tmp_path, ("closed", "open", "half-open")):
        text = scrape(tmp_path)
    assert 'procura_placement_outcomes_total{outcome="placed",supplier="acme"} 3.0' in text
    assert 'procura_supplier_circuit_state{supplier="acme"} 2.0' in text


def test_a_worker_that_exited_takes_its_circuit_state_out_of_the_metrics_but_not_its_counts(tmp_path):
    with worker_processes(tmp_path, ("open",)):
        pass
    text = scrape(tmp_path)
    assert "procura_supplier_circuit_state{" not in text
    assert 'procura_placement_outcomes_total{outcome="placed",supplier="acme"} 1.0' in text


def test_an_unknown_placement_outcome_is_a_programming_error():
    from app.telemetry.metrics import count_placement

    with pytest.raises(ValueError):
        count_placement("acme", "exploded")
