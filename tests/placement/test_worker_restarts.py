"""A placement worker killed in the middle of a supplier call, then restarted,
never leaves a second live order at the supplier."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from testkit.server import ROOT, wait_until
from tests.conftest import SECRET
from tests.placement.conftest import API_KEY, WEBHOOK_SECRET

pytestmark = pytest.mark.postgres


def start_worker(database_url: str, partner) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "PROCURA_JWT_SECRET": SECRET,
           "PROCURA_SUPPLIER_URL": partner.url, "PROCURA_SUPPLIER_API_KEY": API_KEY,
           "PROCURA_WEBHOOK_SECRETS": f"acme={WEBHOOK_SECRET}", "PROCURA_PLACEMENT_LEASE_SECONDS": "2",
           "PROCURA_SUPPLIER_TIMEOUT_MS": "5000", "PROCURA_PLACEMENT_BACKOFF_MS": "50"}
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_worker_killed_mid_placement_and_restarted_leaves_exactly_one_order(make_stack, pg_database_url):
    stack = make_stack(placing=False)
    stack.partner.faults(latency_ms=1500)
    po_id, version = stack.approved_po()
    operation = stack.place(po_id, version)
    first = start_worker(pg_database_url, stack.partner)
    try:
        # The attempt is recorded before the call is sent: wait for the call itself.
        wait_until(lambda: stack.partner.calls_in_flight(po_id), 15, what="the worker's call to reach the supplier")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    wait_until(lambda: stack.partner.orders(po_id), 5, what="the partner to create the order")
    stack.partner.faults(latency_ms=0)
    second = start_worker(pg_database_url, stack.partner)
    try:
        done = stack.finished(operation["id"], timeout=20)
    finally:
        second.terminate()
        second.wait(10)
    [order] = stack.partner.orders(po_id)
    assert done["status"] == "succeeded" and done["result"]["supplier_reference"] == order["orderNo"]
