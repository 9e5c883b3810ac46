"""A buyer places an approved PO; the partner answers in every way it can.

Each test drives the real fake partner over HTTP and reads the outcome the
way a client does: the operation, the PO, and the partner's own order list."""

from __future__ import annotations

import time

import pytest

from testkit.server import wait_until

pytestmark = pytest.mark.postgres


def test_an_order_the_supplier_accepts_at_once_ends_placed_with_its_reference(stack):
    po_id, version = stack.approved_po()
    operation = stack.place(po_id, version)
    done = stack.finished(operation["id"])
    [order] = stack.partner.orders(po_id)
    assert done["status"] == "succeeded" and done["result"] == {"supplier_reference": order["orderNo"]}
    po = stack.po(po_id)
    assert (po["status"], po["supplier_reference"]) == ("placed", order["orderNo"])


def test_the_operation_id_is_the_suppliers_idempotency_key(stack):
    po_id, version = stack.approved_po()
    operation = stack.place(po_id, version)
    stack.finished(operation["id"])
    assert [o["requestKey"] for o in stack.partner.orders(po_id)] == [operation["id"]]


def test_a_queued_order_keeps_the_operation_running_until_the_suppliers_decision(stack):
    stack.partner.faults(queue_rate=1.0, decision_delay_ms=1500)
    po_id, version = stack.approved_po()
    operation = stack.place(po_id, version)
    running = wait_until(lambda: (lambda r: r if r.get_json()["attempts"] == 1 else None)(
        stack.operation(operation["id"])), 5, what="the first attempt")
    assert running.get_json()["status"] == "running" and running.headers["Retry-After"] == "1"
    assert stack.finished(operation["id"])["status"] == "succeeded"
    assert "Retry-After" not in stack.operation(operation["id"]).headers
    assert stack.po(po_id)["status"] == "placed"


def test_an_order_the_supplier_refuses_fails_at_once_with_a_reason_a_buyer_understands(stack):
    po_id, version = stack.approved_po(lines=[{"sku": "BAD-42", "description": "gone", "quantity": 1,
                                               "unit_price": "10.00"}])
    done = stack.finished(stack.place(po_id, version)["id"])
    assert done["status"] == "failed" and done["attempts"] == 1
    assert done["error"]["type"] == "/problems/supplier-refused"
    assert done["error"]["next_action"] == "stop" and "BAD-42" in done["error"]["detail"]
    po = stack.po(po_id)
    assert po["status"] == "placement_failed" and "place" in po["allowed_actions"]
    assert stack.partner.orders(po_id) == []


def test_a_burst_of_supplier_errors_is_retried_with_the_same_key_and_orders_once(stack):
    stack.partner.faults(error_next=2)
    po_id, version = stack.approved_po()
    operation = stack.place(po_id, version)
    done = stack.finished(operation["id"])
    assert (done["status"], done["attempts"]) == ("succeeded", 3)
    assert [o["requestKey"] for o in stack.partner.orders(po_id)] == [operation["id"]]


def test_after_a_timeout_the_order_the_supplier_created_is_found_not_sent_again(stack):
    stack.partner.faults(timeout_next=1, hang_ms=1500)
    po_id, version = stack.approved_po()
    done = stack.finished(stack.place(po_id, version)["id"])
    [order] = stack.partner.orders(po_id)
    assert done["status"] == "succeeded" and done["result"]["supplier_reference"] == order["orderNo"]


def test_latency_beyond_the_timeout_is_retried_until_the_supplier_answers_in_time(stack):
    stack.partner.faults(latency_ms=700)
    po_id, version = stack.approved_po()
    operation = stack.place(po_id, version)
    wait_until(lambda: stack.operation(operation["id"]).get_json()["attempts"] >= 2, 10, what="a second attempt")
    stack.partner.faults(latency_ms=0)
    assert stack.finished(operation["id"])["status"] == "succeeded"
    assert len(stack.partner.live_orders(po_id)) == 1


def test_a_supplier_that_keeps_failing_fails_the_placement_after_the_last_attempt(stack):
    stack.partner.faults(error_rate=1.0)
    po_id, version = stack.approved_po()
    done = stack.finished(stack.place(po_id, version)["id"], timeout=20)
    assert (done["status"], done["attempts"]) == ("failed", 4)
    assert done["error"]["type"] == "/problems/supplier-unavailable"
    assert done["error"]["next_action"] == "retry_later"
    assert stack.po(po_id)["status"] == "placement_failed"


def test_a_throttled_placement_waits_for_the_suppliers_retry_after(stack):
    stack.partner.faults(throttle_next=1, retry_after_s=1)
    po_id, version = stack.approved_po()
    started = time.monotonic()
    done = stack.finished(stack.place(po_id, version)["id"])
    assert done["status"] == "succeeded" and time.monotonic() - started >= 1.0
    assert len(stack.partner.orders(po_id)) == 1


def test_placing_again_after_a_failed_placement_uses_a_new_key_and_orders_once_more(stack):
    stack.partner.faults(queue_rate=1.0, decline_rate=1.0, decision_delay_ms=50)
    po_id, version = stack.approved_po()
    first = stack.place(po_id, version)
    assert stack.finished(first["id"])["status"] == "failed"
    stack.partner.faults(queue_rate=0.0, decline_rate=0.0)
    po = stack.po(po_id)
    second = stack.place(po_id, po["version"])
    assert stack.finished(second["id"])["status"] == "succeeded"
    assert [o["requestKey"] for o in stack.partner.orders(po_id)] == [first["id"], second["id"]]
    assert len(stack.partner.live_orders(po_id)) == 1


def test_a_supplier_that_keeps_failing_opens_the_circuit_and_is_tried_again_after_the_cool_down(stack):
    stack.partner.faults(error_rate=1.0)
    po_id, version = stack.approved_po()
    operation = stack.place(po_id, version)
    breaker = stack.executor.breakers["acme"]
    wait_until(lambda: breaker.state != "closed", 10, what="the circuit to open")
    stack.partner.faults(error_rate=0.0)
    assert stack.finished(operation["id"])["status"] == "succeeded"
    assert breaker.state == "closed"
