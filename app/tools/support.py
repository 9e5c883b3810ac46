"""What support staff and auditors ask of the event store and the command
records: everything written under one id (`trace`, as `GET /trace` answers)
and the story of one PO (`timeline`, as `GET /purchase-orders/{id}/timeline`).

Everything here reads the event store and the command records (never the
read models), and only what belongs to one organisation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID

from aggregates.operation import Operation
from aggregates.purchase_order import PurchaseOrder
from aggregates.transitions import DECLARED
from app.persistence.command_records import CommandRecord
from app.service.application import Procura
from app.service.metadata import metadata_of, rfc3339
from app.suppliers.callbacks import is_callback_org
from app.tools.replay import PAGE, diff, po_state
from projections.store import ReadStore

#: At most this many events and this many command records in one trace.
MAX_TRACE_EVENTS = 1000
MAX_TRACE_COMMANDS = 1000
#: A trace stops scanning after this long and answers what it found, well
#: within the server's 30 s limit on one request.
MAX_SCAN_SECONDS = 20.0

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
        "po_id": record.po_id,
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


#: The metadata members a trace matches (with the aggregate's id).
TRACED_METADATA = ("command_id", "correlation_id", "causation_id")


def _needles(value: str) -> list[bytes]:
    """`value` as the stored JSON bytes hold it in each traced metadata member
    (as the library's transcoder writes them: compact, not ASCII-escaped)."""
    text = json.dumps(value, ensure_ascii=False)
    return [f'"{member}":{text}'.encode() for member in TRACED_METADATA]


def _events_mentioning(app: Procura, value: str, deadline: float) -> Iterator[tuple[Any, int]]:
    """Every event of the store that may have been written under `value`,
    decoded, with its position, in global order: those of the aggregate whose
    id it is, and those whose stored bytes hold it as a traced metadata
    member: most events hold no such bytes and are never decoded, and on
    PostgreSQL and SQLite the database searches the bytes (docs/performance.md). With a
    cipher or a compressor the bytes are opaque, and every event is decoded.
    Yields (None, 0) and stops once `deadline` (time.monotonic()) has passed."""
    opaque = app.mapper.cipher is not None or app.mapper.compressor is not None
    needles = _needles(value)
    aggregate_id = UUID(value) if _is_uuid(value) else None
    after: int | None = 0
    while after is not None:
        if time.monotonic() > deadline:
            yield None, 0
            return
        if opaque:
            found = app.recorder.select_after(after, PAGE)  # tuples: cheaper than the library's notifications
            after = found[-1].id if len(found) == PAGE else None
        else:
            found, after = app.recorder.select_mentioning(after, PAGE, needles, aggregate_id)
        for row in found:
            yield app.mapper.to_domain_event(row), row.id


def _written_under(domain_event: Any, value: str) -> bool:
    meta = metadata_of(domain_event)
    return value in (meta.get("command_id"), meta.get("correlation_id"), meta.get("causation_id"),
                     str(domain_event.originator_id))


def _records(app: Procura, org: str, value: str) -> list[CommandRecord]:
    """The records with key `value`, and those naming the PO `value` when it is a PO id.
    Never supplier callbacks' records, whatever `org` is (the tokens' check is not the only guard)."""
    records = list(app.recorder.select_commands_with_key(org, value))
    if _is_uuid(value):
        records += app.recorder.select_commands_for_po(org, value)
    return [r for r in records if not is_callback_org(r.org)]


def _is_uuid(value: str) -> bool:
    try:
        return str(UUID(value)) == value
    except ValueError:
        return False


def trace(app: Procura, org: str, value: str) -> dict[str, Any]:
    """Everything of `org` written under `value` (a request, correlation or
    operation id, an Idempotency-Key, a PO id): the events, in global order,
    and the command records with that key or naming that PO. A full scan of the event store:
    a support tool, not a hot path. At most MAX_TRACE_EVENTS events and
    MAX_TRACE_COMMANDS records, and MAX_SCAN_SECONDS of scanning; `truncated`
    says when more matched or the scan stopped short."""
    owners, events, truncated = _Owners(app), [], False
    deadline = time.monotonic() + MAX_SCAN_SECONDS
    for domain_event, position in _events_mentioning(app, value, deadline):
        if domain_event is None:  # out of time: answer what was found so far
            truncated = True
            break
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


# --- a PO's timeline ----------------------------------------------------------------

#: At most this many steps in one timeline: the newest (a PO has a few dozen).
MAX_TIMELINE_STEPS = 200
#: Fields every event changes: left out of `changes` (the step says them).
_ALWAYS_CHANGING = frozenset({"version", "updated_at"})


def _event_steps(app: Procura, po_id: UUID) -> list[tuple[datetime, int, dict[str, Any]]]:
    """The PO's events as steps, each with what it changed and the PO's
    state after it (folded once, event by event)."""
    positions = app.recorder.positions_of(po_id)
    steps, po, before = [], None, {}
    for domain_event in app.stored_events(po_id):
        po = domain_event.mutate(po)
        after = po_state(po)
        changes = [{"field": name, "before": old, "after": new} for name, old, new in diff(before, after)
                   if name not in _ALWAYS_CHANGING]
        position = positions.get(domain_event.originator_version)
        step = {"kind": "event", **event_fields(domain_event, position), "changes": changes, "state": after}
        del step["aggregate_id"]
        steps.append((domain_event.timestamp, position or 0, step))
        before = after
    return steps


def _refusal_steps(app: Procura, org: str, po_id: UUID) -> list[tuple[datetime, int, dict[str, Any]]]:
    """The stored refusals of commands sent to the PO (they wrote no event).
    They sort after an event of the same instant."""
    steps = []
    for record in app.recorder.select_commands_for_po(org, str(po_id)):
        problem = problem_of(record)
        if problem is None:
            continue
        instance = problem.get("instance")
        steps.append((record.created_at, 2**63, {
            "kind": "refusal", "at": rfc3339(record.created_at), "actor": record.principal,
            "command_id": record.key, "request_id": instance if isinstance(instance, str) else None,
            "status": record.status, "problem": problem}))
    return steps


def _operations(app: Procura, store: ReadStore, po_id: UUID, operation_ids: list[str]) -> list[dict[str, Any]]:
    """Each placement of the PO: the Operation (status, attempts, each
    attempt's start) and its outbox row (retry state, the last error)."""
    rows = {r["operation_id"]: r for r in store.query(
        "SELECT * FROM procura_placements WHERE po_id = %(po)s", {"po": str(po_id)})}
    found = []
    for op_id in operation_ids:
        operation, row = app.operation(UUID(op_id)), rows.get(op_id, {})
        if operation is None:
            continue
        started = [e for e in app.stored_events(UUID(op_id)) if isinstance(e, Operation.AttemptStarted)]
        found.append({
            "id": op_id, "state": row.get("state", "pending"), "attempts": operation.attempts,
            "uncertain": bool(row.get("uncertain", 0)), "last_error": row.get("last_error"),
            "created_at": rfc3339(operation.created_on), "updated_at": rfc3339(operation.modified_on),
            "status": operation.status, "error": operation.error, "result": operation.result,
            "attempt_log": [{"attempt": n, "at": rfc3339(e.timestamp), "actor": metadata_of(e).get("actor")}
                            for n, e in enumerate(started, start=1)],
        })
    return found


def timeline(app: Procura, store: ReadStore, org: str, po: PurchaseOrder) -> dict[str, Any]:
    """The story of one PO (the caller may see it: the route checks): its
    events with what each changed and the state after it, the refused
    commands sent to it, oldest first by time then position, and its
    placements. At most MAX_TIMELINE_STEPS steps, the newest; `truncated`
    says when older ones were left out."""
    events = _event_steps(app, po.id)
    ordered = sorted([*events, *_refusal_steps(app, org, po.id)], key=lambda s: (s[0], s[1]))
    steps = [step for _, _, step in ordered]
    # The PO as its last step left it (an event may have arrived since the route loaded it).
    latest = events[-1][2]["state"] if events else {"version": po.version, "status": po.status}
    operation_ids = list(dict.fromkeys(
        step["state"]["operation_id"] for _, _, step in events
        if step["type"] == "PlacementRequested" and step["state"]["operation_id"]))
    return {"id": str(po.id), "version": latest["version"], "status": latest["status"],
            "steps": steps[-MAX_TIMELINE_STEPS:], "operations": _operations(app, store, po.id, operation_ids),
            "truncated": len(steps) > MAX_TIMELINE_STEPS}
