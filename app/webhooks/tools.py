"""What an admin (over HTTP) or an operator (`procura webhooks`) does with
an endpoint's deliveries: list them, send one again, replay events since a
time or a position. A redelivery or a replay keeps the original webhook-ids
(they are derived from the event and the endpoint), so a receiver that kept
them recognises what it already has."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.webhooks.endpoints import Endpoint
from app.webhooks.outbox import _COLUMNS, PENDING, Delivery, _row
from projections.public_events import PUBLIC
from projections.store import ReadStore, utc_text

#: The most events one replay queues; the answer says where to continue.
REPLAY_LIMIT = 10_000
_PAGE = 500


def page(store: ReadStore, endpoint_id: str, *, states: Sequence[str] = (), types: Sequence[str] = (),
         before: int | None = None, limit: int = 50) -> list[Delivery]:
    """Up to `limit + 1` of the endpoint's deliveries, newest (highest position) first."""
    params: dict[str, Any] = {"endpoint": endpoint_id}
    clauses = ["endpoint_id = %(endpoint)s"]
    for name, values in (("state", states), ("type", types)):
        if values:
            keys = {f"{name}{n}": v for n, v in enumerate(dict.fromkeys(values))}
            params.update(keys)
            clauses.append(f"{name} IN ({', '.join(f'%({k})s' for k in keys)})")
    if before is not None:
        params["before"] = before
        clauses.append("position < %(before)s")
    rows = store.query(f"SELECT {_COLUMNS} FROM procura_webhook_deliveries WHERE {' AND '.join(clauses)} "
                       f"ORDER BY position DESC LIMIT {int(limit) + 1:d}", params)
    return [Delivery.from_row(r) for r in rows]


def one(store: ReadStore, endpoint_id: str, webhook_id: str) -> Delivery | None:
    rows = store.query(f"SELECT {_COLUMNS} FROM procura_webhook_deliveries WHERE endpoint_id = %(e)s "
                       "AND webhook_id = %(w)s", {"e": endpoint_id, "w": webhook_id})
    return Delivery.from_row(rows[0]) if rows else None


def redeliver(store: ReadStore, endpoint_id: str, webhook_id: str, now: datetime) -> Delivery | None:
    """Make the delivery pending and due now, with a fresh retry schedule
    (an attempt in flight loses its lease: its answer no longer settles it)."""
    with store.transaction() as cur:
        cur.execute("UPDATE procura_webhook_deliveries SET state = %(pending)s, attempts = 0, leased_until = NULL, "
                    "next_attempt_at = %(now)s, updated_at = %(now)s WHERE endpoint_id = %(e)s AND webhook_id = %(w)s",
                    {"pending": PENDING, "now": utc_text(now), "e": endpoint_id, "w": webhook_id})
    return one(store, endpoint_id, webhook_id)


def position_at(store: ReadStore, org: str, moment: datetime) -> int:
    """The position just before the org's first public event that occurred at
    or after `moment` (a binary search over the public events, which the
    store orders by commit: events within a moment of each other may sit
    either side)."""
    wanted = utc_text(moment)
    bounds = store.query(f"SELECT MIN(position) AS low, MAX(position) AS high FROM {PUBLIC.name} "
                         "WHERE org = %(org)s", {"org": org})[0]
    if bounds["low"] is None:
        return 0
    low, high = int(bounds["low"]), int(bounds["high"]) + 1  # the answer's first event lies in [low, high]
    while low < high:
        middle = (low + high) // 2
        rows = store.query(f"SELECT position, document FROM {PUBLIC.name} WHERE org = %(org)s "
                           "AND position >= %(p)s ORDER BY position LIMIT 1", {"org": org, "p": middle})
        occurred = _occurred(json.loads(rows[0]["document"])["occurred_at"])
        if occurred < wanted:
            low = int(rows[0]["position"]) + 1
        else:
            high = middle
    return low - 1


def _occurred(text: str) -> str:
    """An RFC 3339 time as utc_text spells it, so the two compare as text."""
    return utc_text(datetime.fromisoformat(text.replace("Z", "+00:00")))


def replay(store: ReadStore, endpoint: Endpoint, after: int, now: datetime,
           limit: int = REPLAY_LIMIT) -> tuple[int, int, bool]:
    """Queue the endpoint's matching public events after position `after`
    (at most `limit`): new deliveries for events it never had, and its
    existing ones pending again. Returns (how many, the last position
    queued, whether more events follow)."""
    params: dict[str, Any] = {"org": endpoint.org}
    types = ""
    if endpoint.event_types:
        keys = {f"t{n}": t for n, t in enumerate(endpoint.event_types)}
        params.update(keys)
        types = f"AND type IN ({', '.join(f'%({k})s' for k in keys)}) "
    queued, last, stamp = 0, after, utc_text(now)
    while queued < limit:
        rows = store.query(f"SELECT position, po_id, type, document FROM {PUBLIC.name} WHERE org = %(org)s "
                           f"AND position > %(after)s {types}ORDER BY position LIMIT {min(_PAGE, limit - queued):d}",
                           {**params, "after": last})
        if not rows:
            return queued, last, False
        deliveries = [_row(endpoint.id, endpoint.org, int(r["position"]), r["po_id"], r["type"],
                           json.loads(r["document"])["id"], r["document"], stamp) for r in rows]
        with store.transaction() as cur:
            cur.executemany(f"INSERT INTO procura_webhook_deliveries ({_COLUMNS}) VALUES "
                            f"({', '.join(f'%({c})s' for c in _COLUMNS.split(', '))}) ON CONFLICT (webhook_id) "
                            "DO UPDATE SET state = excluded.state, attempts = 0, leased_until = NULL, "
                            "next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at", deliveries)
        queued += len(rows)
        last = int(rows[-1]["position"])
    more = bool(store.query(f"SELECT 1 AS x FROM {PUBLIC.name} WHERE org = %(org)s AND position > %(after)s "
                            f"{types}LIMIT 1", {**params, "after": last}))
    return queued, last, more


def purge(store: ReadStore, before: datetime, batch: int = 1000) -> int:
    """Delete the settled deliveries (delivered or given up) last changed
    before `before`, with their attempts, `batch` at a time (short
    transactions beside a running worker). Pending ones are kept whatever
    their age. Returns how many deliveries went."""
    total = 0
    while True:
        with store.transaction() as cur:
            rows = cur.execute("SELECT webhook_id FROM procura_webhook_deliveries WHERE state <> %(pending)s "
                               f"AND updated_at < %(before)s LIMIT {int(batch):d}",
                               {"pending": PENDING, "before": utc_text(before)}).fetchall()
            if not rows:
                return total
            ids = {f"w{n}": row["webhook_id"] for n, row in enumerate(rows)}
            listed = ", ".join(f"%({k})s" for k in ids)
            cur.execute(f"DELETE FROM procura_webhook_attempts WHERE webhook_id IN ({listed})", ids)
            cur.execute(f"DELETE FROM procura_webhook_deliveries WHERE webhook_id IN ({listed})", ids)
        total += len(rows)
