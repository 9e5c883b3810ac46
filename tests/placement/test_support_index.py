"""The support index behind GET /trace: what a person on the phone holds from
a placement (the operation id, the supplier's order number, a tracking
number, the webhook-id of the supplier's callback) finds the PO's events, on
PostgreSQL with the projection worker and a real supplier's signed callbacks;
and the index rebuilds and verifies like every read model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

from projections.maintenance import rebuild, verify
from projections.support_index import SupportIndex
from tests.conftest import SECRET, User
from tests.placement.test_supplier_callbacks import accepted, placing_po, send, shipped

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def quiet(make_stack):
    return make_stack(placing=False)


def auditor(stack, org: str = "org-1") -> User:
    return User(stack.client, "erin", ("auditor",), org=org, department="finance")


def traced(stack, value: str, org: str = "org-1") -> dict:
    """The trace once the index holds every event written so far (min_position: the store's head)."""
    who = auditor(stack, org)
    head = stack.services.event_store.head_position()
    response = who.get("/trace?" + urlencode({"id": value, "min_position": head}))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def types_of(trace: dict) -> list[tuple[str, str]]:
    return [(e["type"], e["aggregate_id"]) for e in trace["events"]]


@pytest.fixture
def shipped_po(quiet):
    """A PO placed and shipped by the supplier's callbacks: (PO id, operation id)."""
    po_id, operation = placing_po(quiet)
    assert send(quiet, accepted(po_id, order_no="AC-10003"), webhook_id="msg_accepted_1").json() == {
        "outcome": "applied"}
    assert send(quiet, shipped(po_id, order_no="AC-10003", tracking="1Z999AA10123456784"),
                webhook_id="msg_shipped_1").json() == {"outcome": "applied"}
    return po_id, operation["id"]


def test_the_suppliers_order_number_finds_the_events_that_carry_it(quiet, shipped_po):
    po_id, _ = shipped_po
    assert types_of(traced(quiet, "AC-10003")) == [("Placed", po_id), ("Shipped", po_id)]


def test_a_tracking_number_finds_the_shipment(quiet, shipped_po):
    po_id, _ = shipped_po
    assert types_of(traced(quiet, "1Z999AA10123456784")) == [("Shipped", po_id)]


def test_a_callbacks_webhook_id_finds_what_it_changed_but_not_the_suppliers_record(quiet, shipped_po):
    po_id, operation_id = shipped_po
    trace = traced(quiet, "msg_accepted_1")
    assert types_of(trace) == [("Placed", po_id), ("Succeeded", operation_id)]
    assert {(e["command_id"], e["actor"]) for e in trace["events"]} == {("msg_accepted_1", "supplier:acme")}
    assert trace["commands"] == []  # the delivery's record is the supplier's, not the org's


def test_an_operation_id_finds_the_placement_request_and_the_operation(quiet, shipped_po):
    po_id, operation_id = shipped_po
    found = types_of(traced(quiet, operation_id))
    assert ("PlacementRequested", po_id) in found and ("Requested", operation_id) in found
    assert ("Placed", po_id) in found  # the supplier's answer is correlated with the operation


def test_another_orgs_auditor_finds_nothing_under_any_of_these_ids(quiet, shipped_po):
    po_id, operation_id = shipped_po
    for value in (po_id, operation_id, "AC-10003", "1Z999AA10123456784", "msg_accepted_1"):
        assert traced(quiet, value, org="org-2")["events"] == [], value


def test_the_support_index_rebuilds_and_verifies_equal_to_what_the_worker_built(quiet, shipped_po):
    services = quiet.services
    traced(quiet, shipped_po[0])  # the worker has indexed everything
    before = traced(quiet, "AC-10003")

    rebuild(services.event_store, services.read_store, SupportIndex(), batch_size=3)

    assert traced(quiet, "AC-10003") == before
    assert verify(services.event_store, services.read_store, SupportIndex()) == []
    cli = subprocess.run([sys.executable, "-m", "app.cli", "projections", "verify", "support_index"], cwd=ROOT,
                         env={**os.environ, "DATABASE_URL": services.settings.database_url,
                              "PROCURA_JWT_SECRET": SECRET}, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stdout + cli.stderr
