"""What support staff and auditors ask of the event store and the command
records: everything written under one id (`trace`), as `GET /trace` answers.

Everything here reads the event store and the command records (never the
read models), and only what belongs to one organisation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from aggregates.purchase_order import PurchaseOrder
from aggregates.transitions import DECLARED
from app.persistence.command_records import CommandRecord
from app.service.application import Procura
from app.service.metadata import metadata_of, rfc3339
from app.tools.replay import events_in_order

#: At most this many events and this many command records in one trace.
MAX_TRACE_EVENTS = 1000
MAX_TRACE_COMMANDS = 1000

#: The declared command whose event each PurchaseOrder event type is.
COMMAND_OF_EVENT = {t.event: t.command for t in DECLARED.values()}


def event_fields(domain_event: Any, position: int) -> dict[str, Any]:
    """One stored event as the trace and the timeline show it.

    `command` is the declared command the PO event records (`approve` for
    Approved, `confirm_placement` for Placed); null for operation events.
    `request_id` is the request that wrote it (its causation id) when a
    request did (a client's command or a supplier's callback: those carry a
    command id); null for what the placement worker decided on its own.
    """
    meta = metadata_of(domain_event)
    name = type(domain_event).__name__
    command_id, causation_id = meta.get("command_id"), meta.get("causation_id")
    is_po_event = isinstance(domain_event, PurchaseOrder.Event)
    return {
        "position": position,
        "aggregate_id": str(domain_event.originator_id),
        "version": domain_event.originator_version,
        "type": name,
        "at": rfc3339(domain_event.timestamp),
        "actor": meta.get("actor"),
        "command": COMMAND_OF_EVENT.get(name) if is_po_event else None,
        "command_id": command_id,
        "request_id": causation_id if command_id is not None else None,
        "correlation_id": meta.get("correlation_id"),
        "causation_id": causation_id,
    }


def problem_of(record: CommandRecord) -> dict[str, Any] | None:
    """The problem+json a refused command's client got (its stored body), else None."""
    if record.status < 400:
        return None
    try:
        document = json.loads(record.body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def command_fields(record: CommandRecord, request_ids: dict[int, str | None]) -> dict[str, Any]:
    """One command record as the trace shows it. `request_ids` maps event
    positions to the request that wrote them: an accepted command's request
    id is that of its events; a refusal's is its problem's `instance`."""
    problem = problem_of(record)
    if problem is not None:
        request_id = problem.get("instance") if isinstance(problem.get("instance"), str) else None
    else:
        request_id = request_ids.get(record.event_position) if record.event_position is not None else None
    return {
        "key": record.key,
        "principal": record.principal,
        "status": record.status,
        "po_id": getattr(record, "po_id", None),
        "created_at": rfc3339(record.created_at),
        "event_position": record.event_position,
        "request_id": request_id,
        "problem": problem,
    }


class _Owners:
    """Which organisation each aggregate belongs to (read from its first
    event, which names it), remembered for one trace."""

    def __init__(self, app: Procura):
        self.app = app
        self.known: dict[UUID, str | None] = {}

    def org(self, aggregate_id: UUID) -> str | None:
        if aggregate_id not in self.known:
            first = next(iter(self.app.events.get(aggregate_id, lte=1)), None)
            self.known[aggregate_id] = getattr(first, "org", None)
        return self.known[aggregate_id]


def _written_under(domain_event: Any, value: str) -> bool:
    meta = metadata_of(domain_event)
    return value in (meta.get("command_id"), meta.get("correlation_id"), meta.get("causation_id"),
                     str(domain_event.originator_id))


def _records(app: Procura, org: str, value: str) -> list[CommandRecord]:
    return list(app.recorder.select_commands_with_key(org, value))


def trace(app: Procura, org: str, value: str) -> dict[str, Any]:
    """Everything of `org` written under `value` (a request, correlation or
    operation id, an Idempotency-Key, a PO id): the events, in global order,
    and the command records with that key. A full scan of the event store:
    a support tool, not a hot path. At most MAX_TRACE_EVENTS events and
    MAX_TRACE_COMMANDS records; `truncated` says when more matched."""
    owners, events, truncated = _Owners(app), [], False
    for domain_event, position in events_in_order(app):
        if not _written_under(domain_event, value) or owners.org(domain_event.originator_id) != org:
            continue
        if len(events) == MAX_TRACE_EVENTS:
            truncated = True
            break
        events.append(event_fields(domain_event, position))
    records = _records(app, org, value)
    truncated = truncated or len(records) > MAX_TRACE_COMMANDS
    request_ids = {e["position"]: e["request_id"] for e in events}
    return {"id": value, "events": events,
            "commands": [command_fields(r, request_ids) for r in _oldest_first(records)[:MAX_TRACE_COMMANDS]],
            "truncated": truncated}


def _oldest_first(records: Iterable[CommandRecord]) -> list[CommandRecord]:
    unique = {(r.org, r.principal, r.key): r for r in records}
    return sorted(unique.values(), key=lambda r: (r.created_at, r.principal, r.key))
