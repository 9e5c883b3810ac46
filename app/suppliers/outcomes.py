"""What a supplier's answer or callback does to a PO and its Operation.

Pure decisions on loaded aggregates (`decide_*`), plus `settle`, which saves
a decision's events on the PO and the Operation in ONE transaction and
retries a lost version race by deciding again on fresh state. Decisions never
move a PO backwards: an answer that no longer fits the PO's status is ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from aggregates.operation import Operation
from aggregates.purchase_order import PurchaseOrder
from aggregates.transitions import Status
from app.persistence.command_records import CommandAlreadyRecorded, CommandRecord
from app.service.problem_types import PROBLEM_TYPES
from app.suppliers.port import (
    Notice,
    OrderAccepted,
    OrderDeclined,
    OrderPlaced,
    OrderQueued,
    OrderRefused,
    OrderShipped,
    PlacementAnswer,
)

REFUSED, UNAVAILABLE = "supplier-refused", "supplier-unavailable"
SAVE_ATTEMPTS = 5


def operation_problem(slug: str, detail: str, operation_id: UUID) -> dict[str, Any]:
    """The problem object a failed operation carries as `error` (docs/integrators/api.md, section 3)."""
    kind = PROBLEM_TYPES[slug]
    return {"type": f"/problems/{slug}", "title": kind.title, "status": kind.status, "detail": detail,
            "instance": f"/operations/{operation_id}", "next_action": kind.next_action}


def _current(po: PurchaseOrder, op: Operation | None) -> bool:
    """True while `op` is the PO's placement in progress."""
    return op is not None and po.status == Status.PLACING and po.operation_id == op.id and not op.is_done


def placed(po: PurchaseOrder, op: Operation | None, reference: str) -> bool:
    if not _current(po, op):
        return False
    po.confirm_placement(reference)
    op.succeed({"supplier_reference": reference})
    return True


def failed(po: PurchaseOrder, op: Operation | None, slug: str, reason: str) -> bool:
    if not _current(po, op):
        return False
    po.fail_placement(reason)
    op.fail(operation_problem(slug, reason, op.id))
    return True


def decide_answer(po: PurchaseOrder, op: Operation | None, answer: PlacementAnswer) -> bool:
    """Apply the supplier's answer to a placement call; False when nothing changes."""
    if isinstance(answer, OrderPlaced):
        return placed(po, op, answer.supplier_reference)
    if isinstance(answer, OrderRefused):
        return failed(po, op, REFUSED, answer.reason)
    assert isinstance(answer, OrderQueued)
    return False  # the operation stays running until the decision arrives


def decide_notice(po: PurchaseOrder, op: Operation | None, notice: Notice, at: datetime | None) -> bool:
    """Apply a callback; out-of-order, repeated and stale ones change nothing."""
    if isinstance(notice, OrderAccepted):
        return placed(po, op, notice.supplier_reference)
    if isinstance(notice, OrderShipped):
        return _shipped(po, op, notice)
    if isinstance(notice, OrderDeclined):
        # A decline dated before this placement began concerns an earlier order.
        if op is not None and at is not None and at.timestamp() < int(op.created_on.timestamp()):
            return False
        return failed(po, op, REFUSED, notice.reason)
    return False


def _shipped(po: PurchaseOrder, op: Operation | None, notice: OrderShipped) -> bool:
    if _current(po, op):
        # The shipment overtook the acceptance: it places the PO.
        po.record_shipment(notice.supplier_reference, notice.tracking_number)
        op.succeed({"supplier_reference": notice.supplier_reference})
        return True
    if po.status == Status.PLACED and po.tracking_number != notice.tracking_number \
            and po.supplier_reference == notice.supplier_reference:
        po.record_shipment(notice.supplier_reference, notice.tracking_number)
        return True
    return False


def settle(app, po_id: UUID, decide: Callable[[PurchaseOrder, Operation | None], bool],
           command: Callable[[bool], CommandRecord] | None = None) -> bool:
    """Load the PO and its current operation, decide, save in one transaction.

    Returns whether events were saved. With `command` (given whether anything
    changed, it returns the record to keep), the record is saved in the same
    transaction even when nothing changed, and CommandAlreadyRecorded
    propagates (a duplicate). A lost race on versions is decided again.
    """
    for _ in range(SAVE_ATTEMPTS):
        po = app.purchase_order(po_id)
        op = app.operation(po.operation_id) if po and po.operation_id else None
        changed = po is not None and decide(po, op)
        aggregates = (po, op) if changed else ()
        try:
            if changed or command is not None:
                app.save(*aggregates, command=command(changed) if command else None)
            return changed
        except CommandAlreadyRecorded:
            raise
        except IntegrityError:
            continue  # someone else moved the PO or the operation: decide again
    raise IntegrityError(f"could not settle purchase order {po_id} after {SAVE_ATTEMPTS} attempts")
