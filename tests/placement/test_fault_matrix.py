"""Every fault the partner can produce ends in a correct, explainable state:
each PO `placed` or `placement_failed`, its operation finished to match, and
never more than one live (not declined) order per PO at the partner."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgres

CELLS = {
    "latency-beyond-the-timeout": {"latency_ms": 700},
    "5xx-half-the-time": {"error_rate": 0.5},
    "timeouts-after-the-order-was-created": {"timeout_rate": 0.5, "hang_ms": 1000},
    "throttled-with-retry-after": {"throttle_rate": 0.5, "retry_after_s": 0},
    "declines": {"queue_rate": 1.0, "decline_rate": 0.5, "decision_delay_ms": 50},
    "duplicate-and-reordered-callbacks": {"queue_rate": 1.0, "duplicate_callbacks": True,
                                          "reorder_callbacks": True, "decision_delay_ms": 50},
    "supplier-down-long-enough-to-open-the-circuit": {"error_rate": 1.0},
}
MATCHING = {"placed": "succeeded", "placement_failed": "failed"}


@pytest.mark.parametrize("faults", CELLS.values(), ids=CELLS.keys())
def test_every_placement_ends_consistent_with_at_most_one_live_order(stack, faults):
    stack.partner.faults(**faults)
    placed = [stack.approved_po() for _ in range(3)]
    operations = [stack.place(po_id, version)["id"] for po_id, version in placed]
    for (po_id, _), op_id in zip(placed, operations, strict=True):
        done = stack.finished(op_id, timeout=30)
        po = stack.po(po_id)
        assert MATCHING[po["status"]] == done["status"]
        assert len(stack.partner.live_orders(po_id)) <= 1
        if po["status"] == "placed":
            assert po["supplier_reference"] in {o["orderNo"] for o in stack.partner.live_orders(po_id)}
        else:
            assert done["error"]["detail"] and done["error"]["type"].startswith("/problems/supplier-")
