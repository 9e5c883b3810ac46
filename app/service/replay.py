"""Replaying what happened to a PO, and finding everything written under one
id: behind `procura events`, `procura state` and `procura trace`, and the
support reads' diffs (app.service.support).

They read the event store directly (never the read models), so they show
the truth even when a projection is behind or broken.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from app.service.application import Procura
from app.service.metadata import metadata_of, rfc3339

PAGE = 1000
_BASE_FIELDS = {"originator_id", "originator_version", "originator_topic", "timestamp", "meta"}


@dataclass(frozen=True)
class EventRow:
    """One stored event as the tools print it."""

    position: int | None
    aggregate_id: str
    version: int
    occurred_at: str
    type: str
    actor: str | None
    command_id: str | None
    correlation_id: str | None
    causation_id: str | None
    data: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def event_row(domain_event: Any, position: int | None = None) -> EventRow:
    meta = metadata_of(domain_event)
    data = {k: v for k, v in vars(domain_event).items() if k not in _BASE_FIELDS and not k.startswith("_")}
    return EventRow(
        position=position,
        aggregate_id=str(domain_event.originator_id),
        version=domain_event.originator_version,
        occurred_at=rfc3339(domain_event.timestamp),
        type=type(domain_event).__name__,
        actor=meta.get("actor"),
        command_id=meta.get("command_id"),
        correlation_id=meta.get("correlation_id"),
        causation_id=meta.get("causation_id"),
        data=json.loads(json.dumps(data, default=str)),
    )


def stream(app: Procura, aggregate_id: UUID) -> list[EventRow]:
    """Every event of one aggregate, oldest first."""
    return [event_row(e) for e in app.stored_events(aggregate_id)]


def events_in_order(app: Procura) -> Iterator[tuple[Any, int]]:
    """Every domain event in the store with its global position, in that
    order, page by page."""
    after = 0
    while True:
        page = app.recorder.select_notifications(start=after, limit=PAGE, inclusive_of_start=False)
        if not page:
            return
        for notification in page:
            yield app.mapper.to_domain_event(notification), notification.id
        after = page[-1].id


def all_events(app: Procura) -> Iterator[EventRow]:
    """Every event in the store in global order, page by page."""
    for domain_event, position in events_in_order(app):
        yield event_row(domain_event, position)


def trace(app: Procura, some_id: str) -> list[EventRow]:
    """Every event written under `some_id`: a request id, a correlation id, a
    command id (Idempotency-Key) or an operation id, across all aggregates.

    A full scan of the store: fine for support questions, not for a hot path.
    """
    return [r for r in all_events(app) if some_id in (r.command_id, r.correlation_id, r.causation_id)]


def state_at(app: Procura, po_id: UUID, version: int | None = None) -> dict[str, Any] | None:
    """The PO's fields as they stood at `version` (default: now)."""
    po = app.purchase_order(po_id, version)
    return None if po is None else po_state(po)


def po_state(po: Any) -> dict[str, Any]:
    """A PurchaseOrder's fields, as `state_at` and the timeline show them."""
    return {
        "id": str(po.id), "org": po.org, "version": po.version, "status": po.status,
        "title": po.title, "supplier_id": po.supplier_id, "department": po.department,
        "requester": po.requester, "currency": po.currency, "total": f"{po.total:.2f}",
        "needed_by": po.needed_by.isoformat(), "lines": [line.as_data() for line in po.lines],
        **po.remarks(),
        "supplier_reference": po.supplier_reference, "tracking_number": po.tracking_number,
        "operation_id": str(po.operation_id) if po.operation_id else None,
        "created_at": rfc3339(po.created_on), "updated_at": rfc3339(po.modified_on),
    }


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for every field that differs."""
    return [(k, before.get(k), after.get(k)) for k in sorted(set(before) | set(after))
            if before.get(k) != after.get(k)]
