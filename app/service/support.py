"""What support staff and auditors ask of the event store and the command
records: everything written under one id (the trace, as `GET /trace` answers
it from the support index's positions), the story of one PO (`timeline`, as
`GET /purchase-orders/{id}/timeline`) and its events (`history`), both page
by page, newest first.

Everything here reads the event store and the command records by key or by
position (never a scan), and only what belongs to one organisation.
"""

from __future__ import annotations

import hashlib
import json
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from aggregates.operation import Operation
from aggregates.purchase_order import PurchaseOrder
from aggregates.transitions import DECLARED
from app.jsonbytes import json_bytes
from app.persistence.command_records import CommandRecord, is_callback_org
from app.service.application import Procura
from app.service.metadata import metadata_of, rfc3339
from app.service.replay import diff, po_state
from projections.store import ReadStore

#: A trace's command records come with its first page, at most this many.
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
        "po_id": record.po_id,
        "created_at": rfc3339(record.created_at),
        "event_position": record.event_position,
        "request_id": request_id,
        "problem": problem,
    }


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


def trace_events(app: Procura, found: Sequence[int]) -> list[dict[str, Any]]:
    """The events at the positions `found` (a page of the support index's
    answer: the caller's org's only), as the trace shows them, in order.
    Each is read from the event store by its position, never by a scan."""
    return [event_fields(app.mapper.to_domain_event(row), row.id) for row in app.recorder.select_at(sorted(found))]


def trace_commands(app: Procura, org: str, value: str) -> tuple[list[CommandRecord], bool]:
    """The command records of `org` with key `value` or naming the PO `value`
    (both looked up by index), oldest first, at most MAX_TRACE_COMMANDS of
    them, and whether more matched."""
    records = _records(app, org, value)
    return _oldest_first(records)[:MAX_TRACE_COMMANDS], len(records) > MAX_TRACE_COMMANDS


def trace_document(app: Procura, value: str, events: list[dict[str, Any]], records: list[CommandRecord],
                   truncated: bool) -> dict[str, Any]:
    """One page of everything of an org written under `value`: `events` in
    global order, and as many of `records` (the first page's) as keep the
    page under MAX_PAGE_BYTES. An accepted record's request id is that of
    its event, read by position when the page lacks it."""
    request_ids = {e["position"]: e["request_id"] for e in events}
    missing = {r.event_position for r in records if r.event_position is not None} - set(request_ids)
    request_ids.update((e["position"], e["request_id"]) for e in trace_events(app, missing))
    document = {"id": value, "events": events, "commands": [], "truncated": truncated}
    commands = [command_fields(r, request_ids) for r in records]
    document["commands"] = kept = within_budget(commands, document) if commands else []
    document["truncated"] = truncated or len(kept) < len(commands)  # the page stays under MAX_PAGE_BYTES
    return document


def _oldest_first(records: Iterable[CommandRecord]) -> list[CommandRecord]:
    unique = {(r.org, r.principal, r.key): r for r in records}
    return sorted(unique.values(), key=lambda r: (r.created_at, r.principal, r.key))


# --- a PO's timeline and history, page by page ---------------------------------------

#: No page of a timeline or a history exceeds this many bytes, whatever the PO.
MAX_PAGE_BYTES = 1024 * 1024
#: Room kept in a page for its `next_cursor` (at most about 150 bytes).
_CURSOR_ROOM = 1024
#: Fields every event changes: left out of `changes` (the step says them).
_ALWAYS_CHANGING = frozenset({"version", "updated_at"})
#: What an abridged refusal keeps of its problem.
_PROBLEM_ESSENTIALS = ("type", "title", "status", "detail", "instance", "next_action")
#: Events read from the store at once when paging or folding (at the size
#: limits an event is a third of a megabyte).
_BATCH = 10
#: A refusal sorts after an event of the same instant.
_AFTER_EVENTS = 2**63


@dataclass(frozen=True)
class TimelineBound:
    """Where a timeline page starts, going back in time: events of at most
    `version` (0: none left) and refusals whose key (created_at in
    microseconds, a digest of principal and Idempotency-Key) is at most `refusal` (None:
    none left). The first page starts at the PO's version and every refusal."""

    version: int
    refusal: tuple[int, str] | None


def first_timeline_bound(po: PurchaseOrder) -> TimelineBound:
    return TimelineBound(po.version, (_AFTER_EVENTS, ""))


def _micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def _tiebreak(record: CommandRecord) -> str:
    """Orders refusals of one microsecond: a digest of who sent it and its
    key, so a cursor stays short whatever their length."""
    return hashlib.sha256(f"{record.principal}\0{record.key}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _refusals_from(app: Procura, org: str, po_id: UUID, bound: tuple[int, str] | None
                   ) -> list[tuple[tuple[int, str], CommandRecord, dict[str, Any]]]:
    """The stored refusals of commands sent to the PO (they wrote no event)
    at or before `bound`, newest first, each with its key and problem."""
    if bound is None:
        return []
    found = []
    for record in app.recorder.select_refusals_for_po(org, str(po_id)):
        problem = problem_of(record)
        key = (_micros(record.created_at), _tiebreak(record))
        if problem is not None and key <= bound:
            found.append((key, record, problem))
    return sorted(found, key=lambda item: item[0], reverse=True)


def _refusal_step(record: CommandRecord, problem: dict[str, Any]) -> dict[str, Any]:
    instance = problem.get("instance")
    return {"kind": "refusal", "at": rfc3339(record.created_at), "actor": record.principal,
            "command_id": record.key, "request_id": instance if isinstance(instance, str) else None,
            "status": record.status, "problem": problem}


def _po_at(app: Procura, po_id: UUID, version: int) -> PurchaseOrder | None:
    """The PO as it stood at `version` (None before its first event): its
    latest snapshot at or before it, then the events after that, a batch at
    a time (at the size limits an event is a third of a megabyte)."""
    po, after = None, 0
    if version >= 1 and app.snapshots is not None:
        snapshot = next(iter(app.snapshots.get(po_id, lte=version, desc=True, limit=1)), None)
        if snapshot is not None:
            po, after = snapshot.mutate(None), snapshot.originator_version
    while after < version:
        batch = list(app.events.get(po_id, gt=after, lte=version, limit=_BATCH))
        if not batch:
            break
        for domain_event in batch:
            po = domain_event.mutate(po)
        after = batch[-1].originator_version
    return po


def _newest_events(app: Procura, po_id: UUID, version: int, limit: int) -> list[Any]:
    """At most `limit` of the PO's events at or before `version`, newest
    first, read a batch at a time, and no more than can fit in a page: a
    step or a history entry is at least as large as its stored event."""
    found: list[Any] = []
    size = 0
    while len(found) < limit and version >= 1:
        batch = app.recorder.select_events(po_id, lte=version, desc=True, limit=min(_BATCH, limit - len(found)))
        if not batch:
            break
        for stored in batch:
            size += len(stored.state)
            if found and size > MAX_PAGE_BYTES:
                return found
            found.append(app.mapper.to_domain_event(stored))
        version = batch[-1].originator_version - 1
    return found


def _event_step(domain_event: Any, position: int | None, before: dict[str, Any],
                after: dict[str, Any]) -> dict[str, Any]:
    changes = [{"field": name, "before": old, "after": new} for name, old, new in diff(before, after)
               if name not in _ALWAYS_CHANGING]
    step = {"kind": "event", **event_fields(domain_event, position), "changes": changes, "state": after}
    del step["aggregate_id"]
    return step


def _newest_steps(app: Procura, po_id: UUID, oldest_first: list[tuple[str, Any]], room: int) -> list[dict[str, Any]]:
    """The steps of `oldest_first` (events of consecutive versions and
    refusals), newest first: as many of the newest as fit in `room` bytes
    (at least one; a step too large on its own is abridged). Events are
    folded from the PO as it stood before the first of them; only steps
    that may still fit are kept, so memory stays near one page."""
    events = [item for kind, item in oldest_first if kind == "event"]
    po = _po_at(app, po_id, events[0].originator_version - 1) if events else None
    before = po_state(po) if po is not None else {}
    positions = app.recorder.positions_of(po_id) if events else {}
    kept: deque[tuple[dict[str, Any], int]] = deque()
    used = 0
    for kind, item in oldest_first:
        if kind == "event":
            po = item.mutate(po)
            after = po_state(po)
            step = _event_step(item, positions.get(item.originator_version), before, after)
            before = after
        else:
            step = _refusal_step(item[1], item[2])
        size = len(json_bytes(step)) + 1  # and its comma
        if size > room:
            step = _abridged(step)
            size = len(json_bytes(step)) + 1
        kept.append((step, size))
        used += size
        while used > room and len(kept) > 1:
            used -= kept.popleft()[1]
    return [step for step, _ in reversed(kept)]


def _newest_first(events: list[Any], refusals: list[tuple], limit: int) -> list[tuple[str, Any]]:
    """Merge the PO's events (newest first, consecutive versions) and its
    refusals (newest first) by time then position (a refusal after an event
    of the same instant), newest first: the first `limit` as ("event",
    event) or ("refusal", item). Refusals older than the oldest of `events`
    wait while older events remain (they were not read: a page cannot hold
    them)."""
    more_events = bool(events) and events[-1].originator_version > 1
    merged, e, r = [], 0, 0
    while len(merged) < limit and (e < len(events) or (r < len(refusals) and not more_events)):
        take_event = r == len(refusals) or (e < len(events) and (
            _micros(events[e].timestamp), 0) > (refusals[r][0][0], 1))
        if take_event:
            merged.append(("event", events[e]))
            e += 1
        else:
            merged.append(("refusal", refusals[r]))
            r += 1
    return merged


def _abridged(step: dict[str, Any]) -> dict[str, Any]:
    """A step too large for a page on its own (an event at the size limits
    whose `changes` and `state` each hold every line): an event leaves out
    its `state` (GET /purchase-orders/{id}?version=N has it), a refusal keeps
    only the essentials of its problem."""
    if step["kind"] == "event":
        short = {k: v for k, v in step.items() if k != "state"}
    else:
        short = {**step, "problem": {k: step["problem"][k] for k in _PROBLEM_ESSENTIALS if k in step["problem"]}}
    return {**short, "abridged": True}


def within_budget(items: list[dict[str, Any]], envelope: dict[str, Any]) -> list[dict[str, Any]]:
    """The longest run of `items` (newest first, at least one) that keeps the
    page with `envelope` under MAX_PAGE_BYTES."""
    room = MAX_PAGE_BYTES - len(json_bytes(envelope)) - _CURSOR_ROOM
    kept: list[dict[str, Any]] = []
    for item in items:
        room -= len(json_bytes(item)) + 1  # and its comma
        if room < 0 and kept:
            break
        kept.append(item)
    return kept


def _operations(app: Procura, store: ReadStore, po: PurchaseOrder) -> list[dict[str, Any]]:
    """Each placement of the PO, oldest first: the Operation (status,
    attempts, each attempt's start) and its outbox row (retry state, the last
    error). The placements are the outbox's rows for the PO and the PO's
    current operation (which the placement process may not have picked up
    yet): no read of the PO's events."""
    rows = {r["operation_id"]: r for r in store.query(
        "SELECT * FROM procura_placements WHERE po_id = %(po)s", {"po": str(po.id)})}
    operation_ids = list(rows) + ([str(po.operation_id)] if po.operation_id and str(po.operation_id) not in rows
                                  else [])
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
            "_created": operation.created_on,
        })
    found.sort(key=lambda o: o.pop("_created"))
    return found


def timeline(app: Procura, store: ReadStore, org: str, po: PurchaseOrder, limit: int,
             bound: TimelineBound) -> tuple[dict[str, Any], TimelineBound | None]:
    """One page of the story of one PO (the caller may see it: the route
    checks), newest first from `bound`: its events with what each changed
    and the state after it, and the refused commands sent to it, by time
    then position; at most `limit` steps and MAX_PAGE_BYTES in all; and the
    PO's placements. Returns the page and where the next one starts (None:
    this was the oldest). Reads only the page's events (and the PO before
    them, from its latest snapshot)."""
    version = min(bound.version, po.version)
    events = _newest_events(app, po.id, version, limit)
    refusals = _refusals_from(app, org, po.id, bound.refusal)
    merged = _newest_first(events, refusals, limit)
    document = {"id": str(po.id), "version": po.version, "status": po.status, "steps": [],
                "operations": _operations(app, store, po)}
    room = MAX_PAGE_BYTES - len(json_bytes(document)) - _CURSOR_ROOM
    document["steps"] = steps = _newest_steps(app, po.id, merged[::-1], room)
    taken = merged[:len(steps)]
    events_taken = sum(1 for kind, _ in taken if kind == "event")
    refusals_taken = len(taken) - events_taken
    after = TimelineBound(version - events_taken,
                          refusals[refusals_taken][0] if refusals_taken < len(refusals) else None)
    return document, (None if after.version == 0 and after.refusal is None else after)


def history(app: Procura, po: PurchaseOrder, limit: int, version: int,
            entry: Callable[[Any], dict[str, Any]]) -> tuple[dict[str, Any], int | None]:
    """One page of the PO's events, newest first from `version`, each as
    `entry` writes it: at most `limit` and MAX_PAGE_BYTES in all. Returns
    the page and the version the next one starts at (None: none left)."""
    version = min(version, po.version)
    events = _newest_events(app, po.id, version, limit)
    document = {"id": str(po.id), "version": po.version, "events": []}
    document["events"] = entries = within_budget([entry(e) for e in events], document)
    following = version - len(entries)
    return document, (following if following >= 1 else None)
