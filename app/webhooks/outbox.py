"""The deliveries outbox: one row per (public event, endpoint) to send,
claimed by senders with a lease.

`DeliveryRequests` (a Processor fed with the read models, in their
transaction) inserts a pending row for each public event and each enabled
endpoint of the event's org whose types match and that existed when the
event was committed (`after_position`): exactly once, since the rows commit
with the tracking position, and idempotently (ON CONFLICT DO NOTHING), so a
replay of the processor adds nothing. The row holds the event's public
document as it is sent, and the webhook-id every attempt carries.

Senders claim a due row with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED),
so two worker processes never send one delivery at the same moment; a row
is claimable only while no earlier delivery of the same PO to the same
endpoint is pending, which keeps each PO's events in position order.

A claim looks at each enabled endpoint's next due delivery (an index probe
per endpoint), never past one endpoint's backlog: a hanging or failing
endpoint's thousands of pending rows cost the others nothing. For that, a
pending row never falls due before the earlier pending row of its PO to its
endpoint: a row inserted behind one waiting for a retry, and the rows behind
a delivery when it is rescheduled, take its time; they fall due again when
it is settled.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.webhooks.endpoints import Endpoint, Endpoints
from projections.public_events import PUBLIC, declared_for, orgs_of, public_form
from projections.runner import Positioned, Processor
from projections.store import Cursor, ReadStore, utc_text
from projections.tables import PO_TOPIC, po_events, po_id

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
#: The channel a batch of new deliveries is announced on (PostgreSQL): it wakes idle senders.
DELIVERIES_CHANNEL = "procura_webhook_deliveries"
STATES = (PENDING, DELIVERED, FAILED)
#: Names the webhook-ids: uuid5 of "<event id>/<endpoint id>" in this namespace.
_ID_NAMESPACE = uuid.UUID("0b8f5a1e-3c2d-4e6f-9a7b-5d4c3b2a1f09")
#: How much of an answer an attempt keeps.
RESPONSE_BYTES = 1024
_COLUMNS = ("webhook_id, endpoint_id, org, position, po_id, type, event_id, payload, state, attempts, tries, "
            "next_attempt_at, leased_until, last_status, last_error, last_attempt_at, created_at, updated_at")


def webhook_id(event_id: str, endpoint_id: str) -> str:
    """The webhook-id of every attempt to send `event_id` to `endpoint_id`
    (the receiver's de-duplication key)."""
    return "msg_" + uuid.uuid5(_ID_NAMESPACE, f"{event_id}/{endpoint_id}").hex


def _row(endpoint_id: str, org: str, position: int, po: str, type_: str, event_id: str, payload: str,
         now: str) -> dict[str, Any]:
    return {"webhook_id": webhook_id(event_id, endpoint_id), "endpoint_id": endpoint_id, "org": org,
            "position": position, "po_id": po, "type": type_, "event_id": event_id, "payload": payload,
            "state": PENDING, "attempts": 0, "tries": 0, "next_attempt_at": now, "leased_until": None,
            "last_status": None, "last_error": None, "last_attempt_at": None, "created_at": now, "updated_at": now}


#: A new row's time: its own, or later when an earlier row of its PO to its endpoint waits for a retry.
_BEHIND_A_RETRY = ("COALESCE((SELECT MAX(p.next_attempt_at) FROM procura_webhook_deliveries p "
                   "WHERE p.endpoint_id = %(endpoint_id)s AND p.po_id = %(po_id)s AND p.state = 'pending' "
                   "AND p.position < %(position)s AND p.next_attempt_at > %(next_attempt_at)s), %(next_attempt_at)s)")


def _insert(cur: Cursor, rows: Sequence[dict[str, Any]]) -> None:
    values = ", ".join(_BEHIND_A_RETRY if c == "next_attempt_at" else f"%({c})s" for c in _COLUMNS.split(", "))
    if rows:
        cur.executemany(f"INSERT INTO procura_webhook_deliveries ({_COLUMNS}) VALUES ({values}) "
                        "ON CONFLICT (webhook_id) DO NOTHING", rows)


class DeliveryRequests(Processor):
    """Follows the event store; one pending delivery per public event and matching endpoint."""

    name = "webhook_deliveries"
    shares_transaction = True  # a few inserts per event: quick SQL, fed with the read models

    def wants(self, topic: str) -> bool:
        return topic.startswith(PO_TOPIC)

    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        items = [i for i in po_events(batch) if declared_for(i) is not None]
        if not items:
            return
        if not Endpoints.any_enabled(cur):
            return
        # The public events model applies its share of the batch first, in this transaction.
        orgs = orgs_of(cur, PUBLIC.name, items)
        endpoints = Endpoints.enabled_in(cur, orgs.values())
        by_org: dict[str, list[Endpoint]] = {}
        for endpoint in endpoints:
            by_org.setdefault(endpoint.org, []).append(endpoint)
        now, rows = utc_text(), []
        for item in items:
            org = orgs.get(po_id(item))
            wanting = [e for e in by_org.get(org, ()) if item.position > e.after_position
                       and e.wants(declared_for(item).type)]
            if not wanting:
                continue
            document = public_form(declared_for(item), item.event, item.position, org)
            payload = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
            rows += [_row(e.id, org, item.position, po_id(item), document["type"], document["id"], payload, now)
                     for e in wanting]
        _insert(cur, rows)
        if rows and cur.dialect == "postgres":
            cur.execute(f"NOTIFY {DELIVERIES_CHANNEL}")  # delivered at commit: the senders wake then

    # clear(): deliberately keeps the rows. Replaying from 0 re-inserts nothing
    # (ON CONFLICT DO NOTHING), so a rebuild never sends an event twice.


@dataclass(frozen=True)
class Delivery:
    webhook_id: str
    endpoint_id: str
    org: str
    position: int
    po_id: str
    type: str
    event_id: str
    payload: str
    state: str
    attempts: int
    tries: int
    next_attempt_at: str
    leased_until: str | None
    last_status: int | None
    last_error: str | None
    last_attempt_at: str | None
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Delivery:
        return cls(**{name: row[name] for name in _COLUMNS.split(", ")})

    def document(self) -> dict[str, Any]:
        return {"id": self.webhook_id, "event_id": self.event_id, "type": self.type, "po_id": self.po_id,
                "position": int(self.position), "status": self.state, "attempts": int(self.tries),
                "next_attempt_at": self.next_attempt_at if self.state == PENDING else None,
                "last_status": self.last_status, "last_error": self.last_error,
                "last_attempt_at": self.last_attempt_at, "created_at": self.created_at}


@dataclass(frozen=True)
class AttemptRecord:
    """What one attempt to send a delivery found."""

    at: datetime
    status: int | None  # None: no answer (connection refused, timeout, address refused)
    latency_ms: int
    error: str | None
    response: str | None  # the first RESPONSE_BYTES of the answer's body


#: A delivery `t` is due and nobody holds it. 'pending' is written out, not a parameter, in
#: every statement a sender repeats: a prepared statement's generic plan cannot use the
#: indexes kept for pending rows when the state is a parameter (docs/developers/performance.md).
_CLAIMABLE = ("{t}.state = 'pending' AND {t}.next_attempt_at <= %(now)s "
              "AND ({t}.leased_until IS NULL OR {t}.leased_until < %(now)s)")
#: One endpoint's (`e`) next due delivery that nobody holds and no earlier one of its PO holds up.
_NEXT_DUE = ("SELECT n.webhook_id FROM procura_webhook_deliveries n WHERE n.endpoint_id = e.id "
             # The first of its PO's pending rows; as MIN, not NOT EXISTS of an earlier one, a probe at
             # the front of an index even without statistics (NOT EXISTS then read a whole backlog).
             f"AND {_CLAIMABLE.format(t='n')} AND n.position = (SELECT MIN(p.position) FROM "
             "procura_webhook_deliveries p WHERE p.endpoint_id = n.endpoint_id AND p.po_id = n.po_id "
             "AND p.state = 'pending') ORDER BY n.next_attempt_at, n.position LIMIT 1")


def _move_followers(cur: Cursor, delivery: Delivery, next_attempt_at: str, *, retrying: bool) -> None:
    """Keep the pending rows behind `delivery` (its PO, its endpoint) from
    falling due before it: pushed to its retry, or due at once when it is
    settled (only if they could have been pushed: it was ever rescheduled)."""
    behind = {"e": delivery.endpoint_id, "po": delivery.po_id, "position": delivery.position, "at": next_attempt_at}
    where = ("WHERE endpoint_id = %(e)s AND po_id = %(po)s AND state = 'pending' AND position > %(position)s "
             "AND next_attempt_at")
    if retrying:
        cur.execute(f"UPDATE procura_webhook_deliveries SET next_attempt_at = %(at)s {where} < %(at)s", behind)
    elif delivery.next_attempt_at != delivery.created_at:
        cur.execute(f"UPDATE procura_webhook_deliveries SET next_attempt_at = %(at)s {where} > %(at)s", behind)


class Deliveries:
    """The deliveries and attempts tables."""

    def __init__(self, store: ReadStore):
        self.store = store

    def due(self, now: datetime) -> bool:
        """Whether any delivery to an enabled endpoint is due: a read, so idle
        senders poll without taking a write lock (SQLite) or writing a row."""
        return bool(self.store.query(
            "SELECT 1 AS x FROM procura_webhook_deliveries d JOIN procura_webhook_endpoints e ON e.id = d.endpoint_id "
            "AND e.enabled = 1 WHERE d.state = 'pending' AND d.next_attempt_at <= %(now)s LIMIT 1",
            {"now": utc_text(now)}))

    def claim(self, now: datetime, lease_until: datetime, busy: Sequence[str] = ()) -> tuple[Delivery, Endpoint] | None:
        """Lease the most overdue of the enabled endpoints' next due
        deliveries (endpoints in `busy` left out) that nobody holds and
        whose PO has no earlier delivery pending to that endpoint; with its
        endpoint. None when none is due."""
        params: dict[str, Any] = {"now": utc_text(now), "lease": utc_text(lease_until)}
        skip = ""
        if busy:
            names = {f"b{n}": e for n, e in enumerate(busy)}
            params.update(names)
            skip = f"AND e.id NOT IN ({', '.join(f'%({k})s' for k in names)}) "
        locking = " FOR UPDATE OF d SKIP LOCKED" if self.store.dialect == "postgres" else ""
        with self.store.transaction() as cur:
            row = cur.execute(
                "UPDATE procura_webhook_deliveries SET leased_until = %(lease)s WHERE webhook_id = ("
                "SELECT d.webhook_id FROM procura_webhook_deliveries d WHERE d.webhook_id IN ("
                f"SELECT ({_NEXT_DUE}) FROM procura_webhook_endpoints e WHERE e.enabled = 1 {skip}) "
                # Again on `d`: a row another claim leased since this statement's snapshot is
                # re-checked by PostgreSQL on its new version only against `d`'s own conditions.
                f"AND {_CLAIMABLE.format(t='d')} ORDER BY d.next_attempt_at, d.position LIMIT 1{locking}) "
                "RETURNING *", params).fetchone()
            if row is None:
                return None
            endpoint = Endpoints.by_id_in(cur, row["endpoint_id"])
        return Delivery.from_row(row), endpoint

    def record(self, delivery: Delivery, attempt: AttemptRecord, *, state: str, attempts: int,
               next_attempt_at: datetime) -> None:
        """Store `attempt` and, while this attempt still holds the delivery's
        lease, move the delivery on and release the lease. A redelivery asked
        for during the attempt took the lease away: the delivery stays due."""
        at = utc_text(attempt.at)
        noted = {"status": attempt.status, "error": (attempt.error or None) and attempt.error[:500], "at": at,
                 "id": delivery.webhook_id, "lease": delivery.leased_until}
        attempt_noted = ("tries = tries + 1, last_status = %(status)s, last_error = %(error)s, "
                         "last_attempt_at = %(at)s, updated_at = %(at)s")
        with self.store.transaction() as cur:
            row = cur.execute(
                "UPDATE procura_webhook_deliveries SET state = %(state)s, attempts = %(attempts)s, "
                f"next_attempt_at = %(next)s, leased_until = NULL, {attempt_noted} "
                "WHERE webhook_id = %(id)s AND leased_until = %(lease)s RETURNING tries",
                {**noted, "state": state, "attempts": attempts, "next": utc_text(next_attempt_at)}).fetchone()
            if row is not None:
                later = utc_text(next_attempt_at)
                _move_followers(cur, delivery, later, retrying=state == PENDING and later > at)
            else:
                row = cur.execute(f"UPDATE procura_webhook_deliveries SET {attempt_noted} WHERE webhook_id = %(id)s "
                                  "RETURNING tries", noted).fetchone()
            if row is None:
                return  # the endpoint was deleted meanwhile
            cur.execute(
                "INSERT INTO procura_webhook_attempts (webhook_id, number, endpoint_id, attempted_at, status, "
                "latency_ms, error, response) VALUES (%(id)s, %(number)s, %(endpoint)s, %(at)s, %(status)s, "
                "%(latency)s, %(error)s, %(response)s) ON CONFLICT (webhook_id, number) DO NOTHING",
                {"id": delivery.webhook_id, "number": int(row["tries"]), "endpoint": delivery.endpoint_id,
                 "at": at, "status": attempt.status, "latency": attempt.latency_ms,
                 "error": (attempt.error or None) and attempt.error[:500], "response": attempt.response})

    def release(self, delivery: Delivery) -> None:
        """Give the lease back without an attempt (the endpoint went away or was disabled)."""
        with self.store.transaction() as cur:
            cur.execute("UPDATE procura_webhook_deliveries SET leased_until = NULL WHERE webhook_id = %(id)s",
                        {"id": delivery.webhook_id})

    def attempts(self, webhook_id: str) -> list[dict[str, Any]]:
        return self.store.query(
            "SELECT number, attempted_at, status, latency_ms, error, response FROM procura_webhook_attempts "
            "WHERE webhook_id = %(id)s ORDER BY number", {"id": webhook_id})
