"""What the partner tells Procura later, by signed callback: applied once, in
any order, never moving a PO backwards, and refused when not genuinely signed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from standardwebhooks import Webhook

from app.suppliers.callbacks import unmatched_callbacks
from tests.placement.conftest import WEBHOOK_SECRET

pytestmark = pytest.mark.postgres

OTHER_SECRET = "whsec_b3RoZXItc2VjcmV0LXRoYXQtaXMtbm90LWFjbWVzLTAx"


def send(stack, body: dict, *, secret=WEBHOOK_SECRET, webhook_id=None, skew=timedelta(0), tamper=None,
         supplier="acme"):
    """POST one callback as the partner would (optionally forged, altered, or
    with its timestamp `skew` away from now)."""
    raw = json.dumps(body)
    moment = datetime.now(UTC) + skew
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    headers = {"Content-Type": "application/json", "webhook-id": webhook_id,
               "webhook-timestamp": str(int(moment.timestamp())),
               "webhook-signature": Webhook(secret).sign(webhook_id, moment, raw)}
    sent = tamper(raw) if tamper else raw
    return requests.post(f"{stack.base}/callbacks/suppliers/{supplier}", data=sent.encode(), headers=headers,
                         timeout=5)


def placing_po(stack) -> tuple[str, dict]:
    """A PO being placed; no executor runs, so only callbacks move it."""
    po_id, version = stack.approved_po()
    return po_id, stack.place(po_id, version)


@pytest.fixture
def quiet(make_stack):
    return make_stack(placing=False)


def accepted(po_id, order_no="AC-1"):
    return {"type": "order.accepted", "orderNo": order_no, "clientRef": po_id, "at": int(datetime.now(UTC).timestamp())}


def shipped(po_id, order_no="AC-1", tracking="1ZTRACK"):
    return {"type": "order.shipped", "orderNo": order_no, "clientRef": po_id, "trackingNo": tracking,
            "at": int(datetime.now(UTC).timestamp())}


def test_an_accepted_callback_places_the_po_and_finishes_its_operation(quiet):
    po_id, operation = placing_po(quiet)
    answer = send(quiet, accepted(po_id))
    assert (answer.status_code, answer.json()) == (200, {"outcome": "applied"})
    assert quiet.po(po_id)["status"] == "placed"
    assert quiet.operation(operation["id"]).get_json()["result"] == {"supplier_reference": "AC-1"}
    last = quiet.history(po_id)[-1]
    assert (last["type"], last["actor"], last["correlation_id"]) == ("Placed", "supplier:acme", operation["id"])


def test_a_shipment_before_the_acceptance_places_the_po_with_its_tracking_and_the_late_acceptance_changes_nothing(quiet):
    po_id, _ = placing_po(quiet)
    assert send(quiet, shipped(po_id)).json() == {"outcome": "applied"}
    assert send(quiet, accepted(po_id)).json() == {"outcome": "ignored"}
    po = quiet.po(po_id)
    assert (po["status"], po["supplier_reference"], po["tracking_number"]) == ("placed", "AC-1", "1ZTRACK")
    assert [e["type"] for e in quiet.history(po_id)][-1] == "Shipped"


def test_a_replayed_webhook_id_answers_200_without_any_effect(quiet):
    po_id, _ = placing_po(quiet)
    send(quiet, accepted(po_id), webhook_id="msg_once")
    version = quiet.po(po_id)["version"]
    again = send(quiet, shipped(po_id), webhook_id="msg_once")
    assert (again.status_code, again.json()) == (200, {"outcome": "duplicate"})
    assert quiet.po(po_id)["version"] == version


def test_a_decline_dated_before_the_current_placement_concerns_an_earlier_order_and_is_ignored(quiet):
    po_id, operation = placing_po(quiet)
    stale = {"type": "order.declined", "clientRef": po_id, "reasonCode": "OUT_OF_STOCK",
             "at": int((datetime.now(UTC) - timedelta(hours=1)).timestamp())}
    assert send(quiet, stale).json() == {"outcome": "ignored"}
    assert quiet.operation(operation["id"]).get_json()["status"] in ("pending", "running")


def test_a_decline_fails_the_placement_with_the_suppliers_reason(quiet):
    po_id, operation = placing_po(quiet)
    declined = {"type": "order.declined", "clientRef": po_id, "reasonCode": "OUT_OF_STOCK",
                "at": int(datetime.now(UTC).timestamp()) + 1}
    assert send(quiet, declined).json() == {"outcome": "applied"}
    error = quiet.operation(operation["id"]).get_json()["error"]
    assert error["type"] == "/problems/supplier-refused" and "out of stock" in error["detail"]
    assert quiet.po(po_id)["status"] == "placement_failed"


def test_a_callback_about_an_unknown_order_is_recorded_answered_202_and_listed_for_operators(quiet):
    answer = send(quiet, accepted("not-a-procura-order", "AC-77"), webhook_id="msg_stray")
    assert (answer.status_code, answer.json()) == (202, {"outcome": "unmatched"})
    assert send(quiet, accepted("not-a-procura-order", "AC-77"), webhook_id="msg_stray").status_code == 200
    [stray] = unmatched_callbacks(quiet.services.event_store, "acme")
    assert (stray["delivery_id"], stray["purchase_order_reference"]) == ("msg_stray", "not-a-procura-order")


@pytest.mark.parametrize("forgery", [
    {"secret": OTHER_SECRET},
    {"tamper": lambda raw: raw.replace("AC-1", "AC-9")},
    {"skew": timedelta(minutes=-6)},
    {"skew": timedelta(minutes=6)},
    {"supplier": "globex"},
], ids=["wrong-secret", "body-altered-after-signing", "stale-timestamp", "future-timestamp", "unknown-supplier"])
def test_a_callback_that_is_not_genuinely_signed_is_refused_401_and_changes_nothing(quiet, forgery):
    po_id, _ = placing_po(quiet)
    version = quiet.po(po_id)["version"]
    answer = send(quiet, accepted(po_id), **forgery)
    assert answer.status_code == 401
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/callback-unauthenticated"
    assert quiet.po(po_id)["version"] == version


def test_a_callback_without_signature_headers_is_refused_401(quiet):
    answer = requests.post(f"{quiet.base}/callbacks/suppliers/acme", json={"type": "order.accepted"}, timeout=5)
    assert answer.status_code == 401


def test_the_partners_duplicate_and_reordered_callbacks_leave_one_shipment_on_a_placed_po(stack):
    stack.partner.faults(queue_rate=1.0, duplicate_callbacks=True, reorder_callbacks=True, decision_delay_ms=50)
    po_id, version = stack.approved_po()
    assert stack.finished(stack.place(po_id, version)["id"])["status"] == "succeeded"
    po = stack.po_when(po_id, lambda po: po["tracking_number"], what="the shipment")
    assert po["status"] == "placed"
    types = [e["type"] for e in stack.history(po_id)]
    assert types.count("Shipped") == 1 and "Placed" not in types
