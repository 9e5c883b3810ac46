"""JSON documents for POs, operations and history, and the renderer that
turns command outcomes into replies the command service can record."""

from __future__ import annotations

import json
from typing import Any

from aggregates.money import format_amount
from aggregates.operation import DONE, Operation
from aggregates.policy import Principal, allowed_actions
from aggregates.purchase_order import PurchaseOrder
from aggregates.transitions import DECLARED
from app.http.output_schemas import HistoryEventOut, OperationOut
from app.http.problems import problem_document, problem_for
from app.jsonbytes import json_bytes
from app.service.command_service import Command, Reply
from app.service.metadata import metadata_of, rfc3339

JSON = "application/json"


_OPERATION, _HISTORY_EVENT = OperationOut(), HistoryEventOut()


def po_document(po: PurchaseOrder, who: Principal) -> dict[str, Any]:
    """The PO as PurchaseOrderOut describes it. Built by hand: every command
    answers with it, and dumping through the schema was measurably slower
    (docs/developers/performance.md). tests/unit/test_documents.py holds it to the schema."""
    return {
        "id": str(po.id),
        "org": po.org,
        "title": po.title,
        "supplier_id": po.supplier_id,
        "department": po.department,
        "requester": po.requester,
        "currency": po.currency,
        "lines": [line.as_data() for line in po.lines],
        "total": format_amount(po.total),
        "needed_by": po.needed_by.isoformat(),
        "status": po.status,
        "version": po.version,
        "created_at": rfc3339(po.created_on),
        "updated_at": rfc3339(po.modified_on),
        **po.remarks(),
        "supplier_reference": po.supplier_reference,
        "tracking_number": po.tracking_number,
        "operation_id": None if po.operation_id is None else str(po.operation_id),
        "allowed_actions": allowed_actions(who, po),
    }


def operation_document(operation: Operation) -> dict[str, Any]:
    return _OPERATION.dump({
        "id": operation.id,
        "kind": operation.kind,
        "status": operation.status,
        "purchase_order_id": operation.purchase_order_id,
        "attempts": operation.attempts,
        "created_at": rfc3339(operation.created_on),
        "updated_at": rfc3339(operation.modified_on),
        "error": operation.error,
        "result": operation.result,
    })


_BASE_FIELDS = {"originator_id", "originator_version", "originator_topic", "timestamp", "meta"}


def history_entry(domain_event: Any) -> dict[str, Any]:
    meta = metadata_of(domain_event)
    data = {k: v for k, v in vars(domain_event).items() if k not in _BASE_FIELDS and not k.startswith("_")}
    return _HISTORY_EVENT.dump({
        "version": domain_event.originator_version,
        "type": type(domain_event).__name__,
        "occurred_at": rfc3339(domain_event.timestamp),
        "actor": meta.get("actor"),
        "command_id": meta.get("command_id"),
        "correlation_id": meta.get("correlation_id"),
        "causation_id": meta.get("causation_id"),
        "data": json.loads(json.dumps(data, default=str)),
    })


encode = json_bytes  # response bodies: compact JSON, UTF-8


def operation_location(operation: Operation) -> str:
    return f"/operations/{operation.id}"


def retry_after(operation: Operation) -> dict[str, str]:
    """Clients polling an unfinished operation should wait a moment."""
    return {} if operation.status in DONE else {"Retry-After": "1"}


class HttpRenderer:
    """Renders command outcomes exactly as they will be recorded."""

    def accepted(self, command: Command, po: PurchaseOrder, operation: Operation | None) -> Reply:
        headers = {"Content-Type": JSON, "ETag": f'"{po.version}"'}
        if operation is not None:
            location = operation_location(operation)
            headers.update({"Location": location, "Operation-Location": location})
            body = operation_document(operation) | {"purchase_order": po_document(po, command.principal)}
            return Reply(202, headers, encode(body))
        status = DECLARED[command.action].answer
        if status == 201:
            headers["Location"] = f"/purchase-orders/{po.id}"
        return Reply(status, headers, encode(po_document(po, command.principal)))

    def refused(self, command: Command, error: Exception) -> Reply:
        problem, status = problem_for(error)
        headers = {"Content-Type": "application/problem+json", **problem.headers}
        return Reply(status, headers, encode(problem_document(problem, status)))
