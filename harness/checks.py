"""What must hold after a load run, checked against the event store and the
recorded exchanges. Each check returns a Result: cases examined, failures."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.service.metadata import metadata_of
from app.service.problem_types import PROBLEM_TYPES
from harness.wire import Exchange
from projections.maintenance import verify
from projections.tables import ReadModel

#: Every status the contract names (section 3 and the success codes).
CONTRACT_STATUSES = {200, 201, 202, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 428, 503}


@dataclass
class Result:
    name: str
    cases: int = 0
    failures: list[str] = field(default_factory=list)

    def case(self, ok: bool, failure: str) -> None:
        self.cases += 1
        if not ok:
            self.failures.append(failure)


@dataclass(frozen=True)
class StoredEvent:
    position: int
    originator_id: str
    version: int
    type: str
    meta: dict[str, Any]
    timestamp: datetime


def stored_events(app) -> list[StoredEvent]:
    """Every event in the store, oldest first (read through the app's recorder)."""
    found, start = [], 1
    while True:
        batch = app.recorder.select_notifications(start=start, limit=1000)
        if not batch:
            return found
        for n in batch:
            event = app.mapper.to_domain_event(n)
            found.append(StoredEvent(n.id, str(n.originator_id), n.originator_version,
                                     type(event).__qualname__, metadata_of(event), event.timestamp))
        start = batch[-1].id + 1


def _answered(exchanges: list[Exchange]) -> list[Exchange]:
    """Completed answers: read, not "the first is still running", not retried."""
    return [e for e in exchanges
            if e.status is not None and not e.retried and e.problem_slug() != "idempotency-key-in-flight"]


def _po_id(exchange: Exchange) -> str | None:
    parts = exchange.path.split("?")[0].strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "purchase-orders":
        return parts[1]
    if exchange.status == 201:
        return json.loads(exchange.content)["id"]
    return None


def _etag(exchange: Exchange) -> int | None:
    raw = exchange.headers.get("etag", "").strip('"')
    return int(raw) if raw.isdigit() else None


def _by_key(exchanges: list[Exchange]) -> dict[str, list[Exchange]]:
    """The exchanges that carried an Idempotency-Key, grouped by key, in order."""
    commands: dict[str, list[Exchange]] = defaultdict(list)
    for e in exchanges:
        if e.key is not None:
            commands[e.key].append(e)
    return commands


def check_store(exchanges: list[Exchange], events: list[StoredEvent]) -> list[Result]:
    by_key: dict[str, list[StoredEvent]] = defaultdict(list)
    for event in events:
        if event.meta.get("command_id"):
            by_key[event.meta["command_id"]].append(event)
    commands = _by_key(exchanges)

    acked = Result("acknowledged commands are stored exactly once")
    refused = Result("refused commands appended nothing")
    for key, sent in commands.items():
        answers = _answered(sent)
        success = [a for a in answers if 200 <= a.status < 300]
        written = by_key.get(key, [])
        po_events = [w for w in written if w.type.startswith("PurchaseOrder.")]
        if success:
            first = success[0]
            po_id, version = _po_id(first), _etag(first)
            ok = (len(po_events) == 1 and po_events[0].originator_id == po_id
                  and po_events[0].version == version and po_events[0].meta.get("actor") == first.sub
                  and len({(w.originator_id, w.version) for w in written}) == len(written))
            acked.case(ok, f"key {key} ({first.method} {first.path}, ETag {version}): stored "
                           f"{[(w.type, w.originator_id, w.version) for w in written]}")
        elif answers and all(400 <= a.status < 500 for a in answers):
            refused.case(not written, f"key {key} answered {answers[0].status} {answers[0].problem_slug()} "
                                      f"but stored {[(w.type, w.version) for w in written]}")
    return [acked, refused]


def check_replays(exchanges: list[Exchange]) -> list[Result]:
    commands = _by_key(exchanges)
    same = Result("resends got the first answer byte for byte")
    in_flight = Result("409 in-flight only while the first request ran")
    for key, sent in commands.items():
        if len(sent) < 2:
            continue
        answers = sorted(_answered(sent), key=lambda a: a.ended)
        if not answers:
            same.case(False, f"key {key}: no request with this key got a final answer")
            continue
        first = answers[0]
        differing = [a for a in answers[1:] if (a.status, a.content) != (first.status, first.content)]
        fresh = [a for a in answers if not a.replayed]
        same.case(not differing and len(fresh) <= 1 and all(a.replayed for a in answers[1:] if a in fresh[1:]),
                  f"key {key}: answers {[(a.status, a.replayed, a.content[:80]) for a in answers]}")
        for e in sent:
            if e.problem_slug() != "idempotency-key-in-flight":
                continue
            overlapping = [o for o in sent if o is not e and o.started <= e.ended
                           and (o.dropped or o.ended is None or o.ended >= e.started)]
            in_flight.case(bool(overlapping), f"key {key}: 409 in-flight with no other request running")
    return [same, in_flight]


def check_conflicts(exchanges: list[Exchange], events: list[StoredEvent], status_at) -> Result:
    """Every fresh (not replayed) 409 version-conflict / illegal-transition
    names a version that was current while the request ran:

    * the version exists, and the stream's status at it is `current_status`;
    * it is at least every version some client had been told of (a 2xx) before
      this request was sent (no stale read);
    * the command that wrote it had been sent before this answer arrived (or,
      for an event with no client command, it occurred before the answer);
    * `changes_since` lists exactly the stored events after `expected_version`.
    What cannot be checked from outside: that no newer version was committed
    in the instant between the server's read and its answer.
    """
    result = Result("409s name the true current version")
    streams: dict[str, dict[int, StoredEvent]] = defaultdict(dict)
    for event in events:
        streams[event.originator_id][event.version] = event
    started_by_key: dict[str, float] = {}
    acked: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for e in exchanges:
        if e.key is not None:
            started_by_key[e.key] = min(started_by_key.get(e.key, e.started), e.started)
        if e.status is not None and 200 <= e.status < 300 and _etag(e) and _po_id(e):
            acked[_po_id(e)].append((e.ended, _etag(e)))
    for e in exchanges:
        slug = e.problem_slug()
        if slug not in ("version-conflict", "illegal-transition") or e.replayed:
            continue
        body, po_id = json.loads(e.content), _po_id(e)
        current, stream = body["current_version"], streams.get(po_id, {})
        problems = []
        written = stream.get(current)
        if written is None:
            problems.append(f"version {current} does not exist")
        else:
            if status_at(po_id, current) != body["current_status"]:
                problems.append(f"status at {current} is {status_at(po_id, current)}, not {body['current_status']}")
            told = max((v for t, v in acked[po_id] if t < e.started), default=0)
            if current < told:
                problems.append(f"a client was told of version {told} before this request was sent")
            writer = written.meta.get("command_id")
            if writer in started_by_key and started_by_key[writer] > e.ended:
                problems.append(f"version {current} was written by a command sent after this answer")
            if writer not in started_by_key and written.timestamp.timestamp() > e.wall_ended:
                problems.append(f"version {current} occurred after this answer")
        if slug == "version-conflict":
            expected = body["expected_version"]
            if expected != e.if_match or expected == current:
                problems.append(f"expected_version {expected} (sent If-Match {e.if_match})")
            want = [(v, stream[v].type.split(".")[-1]) for v in range(expected + 1, current + 1) if v in stream]
            got = [(c["version"], c["type"]) for c in body["changes_since"]]
            if expected < current and got != want:
                problems.append(f"changes_since {got} but the store has {want}")
        result.case(not problems, f"{e.method} {e.path} If-Match {e.if_match}: {'; '.join(problems)}")
    return result


def check_statuses(exchanges: list[Exchange]) -> list[Result]:
    contract = Result("no 5xx, every status and problem in the contract")
    request_ids = Result("every response has X-Request-Id")
    for e in exchanges:
        if e.retried:
            continue  # its resend's answer is checked instead
        if e.status is None:
            if not e.dropped:
                contract.case(False, f"{e.method} {e.path}: no answer ({e.headers.get('x-harness-error')})")
            continue
        problems = []
        if e.status not in CONTRACT_STATUSES:
            problems.append(f"status {e.status}")
        if e.status >= 500 and not (e.status == 503 and e.problem_slug() == "projection-behind"):
            problems.append(f"5xx: {e.content[:200]!r}")
        if e.status >= 400:
            slug = e.problem_slug()
            if slug not in PROBLEM_TYPES or PROBLEM_TYPES[slug].status != e.status:
                problems.append(f"problem {slug!r} with status {e.status}")
        contract.case(not problems, f"{e.method} {e.path}: {'; '.join(problems)}")
        request_ids.case(bool(e.headers.get("x-request-id")), f"{e.method} {e.path} {e.status}: no X-Request-Id")
    return [contract, request_ids]


def check_read_models(services, timeout: float) -> Result:
    """Wait for the worker to reach the head, then diff each model with a rebuild."""
    result = Result("read models equal a fresh rebuild")
    models = [p for p in services.processors if isinstance(p, ReadModel)]
    deadline = time.monotonic() + timeout
    while True:
        head = services.event_store.head_position() or 0
        positions = services.read_store.positions()
        behind = [m.name for m in models if int(positions.get(m.name, {}).get("position", 0)) < head]
        if not behind:
            break
        if time.monotonic() > deadline:
            result.case(False, f"the worker did not catch up within {timeout}s: {behind} behind {head}")
            return result
        time.sleep(0.2)  # polling for the worker, with the deadline above
    for model in models:
        differences = verify(services.event_store, services.read_store, model)
        result.case(not differences, f"{model.name}: {len(differences)} rows differ, e.g. {differences[:2]}")
    return result
