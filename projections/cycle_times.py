"""Cycle times: how long a submitted PO waits for its decision.

One row per decision (approve or reject) with its duration from the LAST
submission before it, exact to the microsecond. Percentiles use the
nearest-rank method: with the n durations sorted ascending, the p-th
percentile is the value at 1-based rank ceil(p * n / 100); it is always an
observed duration, and the same on PostgreSQL and SQLite.

The histogram counts decisions per duration bucket (`BUCKET_BOUNDS_HOURS`,
each bound inclusive, then one bucket for anything longer). Each row stores
its bucket; rows without one (written by a release before 0.2.0 during a
rolling upgrade) are placed by their duration when read.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.runner import Positioned
from projections.store import Cursor, utc_text
from projections.tables import ReadModel, Table, kind, po_events, po_id, select_by_ids, upsert

ORDERS = Table(
    "rm_cycle_orders",
    "id TEXT NOT NULL, org TEXT NOT NULL, department TEXT, submitted_us BIGINT",
    key=("id",),
)
DECISIONS = Table(
    "rm_cycle_decisions",
    "po_id TEXT NOT NULL, version INTEGER NOT NULL, org TEXT NOT NULL, department TEXT, outcome TEXT NOT NULL, "
    "decided_at TEXT NOT NULL, duration_us BIGINT NOT NULL, duration_bucket INTEGER",
    key=("po_id", "version"),
    indexes=(("org_at", "org, decided_at"), ("org_department", "org, department, decided_at")),
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Upper bounds of the histogram's buckets; schema step 0003 backfilled rows with these.
BUCKET_BOUNDS_HOURS = (1, 4, 8, 24, 48, 72, 120, 168, 336, 720)
_BOUNDS_US = tuple(hours * 3_600_000_000 for hours in BUCKET_BOUNDS_HOURS)
_OUTCOMES = {"Approved": "approved", "Rejected": "rejected"}


def micros(moment: datetime) -> int:
    """Exact microseconds since the epoch (no float rounding)."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def bucket_of(duration_us: int) -> int:
    """The index of the first bucket whose bound the duration does not exceed
    (len(BUCKET_BOUNDS_HOURS) for longer ones)."""
    return bisect_left(_BOUNDS_US, duration_us)


class CycleTimes(ReadModel):
    name = "cycle_times"
    tables = (ORDERS, DECISIONS)
    reads_by_po = ((ORDERS, "id"),)
    kinds = frozenset({"Created", "Submitted", *_OUTCOMES})

    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        items = [i for i in po_events(batch) if kind(i) in ("Created", "Submitted", *_OUTCOMES)]
        if not items:
            return
        keyed = [(po_id(i), i) for i in items]
        orders = {r["id"]: r for r in select_by_ids(cur, self.t(ORDERS.name), "id", {k for k, _ in keyed})}
        changed, decisions = set(), []
        for key, item in keyed:
            name, event = kind(item), item.event
            if name == "Created":
                orders.setdefault(key, {"id": key, "org": event.org, "department": event.department,
                                        "submitted_us": None})
            elif key not in orders:
                continue
            elif name == "Submitted":
                orders[key]["submitted_us"] = micros(event.timestamp)
            elif orders[key]["submitted_us"] is not None:
                order = orders[key]
                duration = micros(event.timestamp) - int(order["submitted_us"])
                decisions.append({
                    "po_id": key, "version": event.originator_version, "org": order["org"],
                    "department": order["department"], "outcome": _OUTCOMES[name],
                    "decided_at": utc_text(event.timestamp), "duration_us": duration,
                    "duration_bucket": bucket_of(duration)})
            changed.add(key)
        upsert(cur, self.t(ORDERS.name), ORDERS.key, [orders[k] for k in sorted(changed)])
        upsert(cur, self.t(DECISIONS.name), DECISIONS.key, decisions)


# --- queries ------------------------------------------------------------------


@dataclass(frozen=True)
class CycleStats:
    """Durations in microseconds (None when there is no decision)."""

    count: int
    p50_us: int | None
    p90_us: int | None
    max_us: int | None


def nearest_rank(p: int, n: int) -> int:
    """The 1-based rank of the p-th percentile among n sorted values."""
    return max(1, -(-p * n // 100))


def _decisions_where(org: str, department: str | None, since: str | None,
                     before: str | None) -> tuple[str, dict[str, Any]]:
    """The WHERE clause and parameters selecting `org`'s decisions in [since, before)."""
    params: dict[str, Any] = {"org": org}
    clauses = ["org = %(org)s"]
    for value, clause, param in ((department, "department = %(department)s", "department"),
                                 (since, "decided_at >= %(since)s", "since"),
                                 (before, "decided_at < %(before)s", "before")):
        if value is not None:
            params[param] = value
            clauses.append(clause)
    return " AND ".join(clauses), params


def cycle_stats(cur: Cursor, org: str, department: str | None = None, since: str | None = None,
                before: str | None = None) -> CycleStats:
    """Decisions of `org` (and `department`) decided in [since, before)."""
    where, params = _decisions_where(org, department, since, before)
    head = cur.execute(f"SELECT COUNT(*) AS n, MAX(duration_us) AS mx FROM {DECISIONS.name} WHERE {where}",
                       params).fetchone() or {}
    n = int(head.get("n") or 0)
    if n == 0:
        return CycleStats(0, None, None, None)

    def percentile(p: int) -> int:
        row = cur.execute(f"SELECT duration_us FROM {DECISIONS.name} WHERE {where} "
                          f"ORDER BY duration_us LIMIT 1 OFFSET %(offset)s",
                          {**params, "offset": nearest_rank(p, n) - 1}).fetchone()
        return int(row["duration_us"])

    return CycleStats(n, percentile(50), percentile(90), int(head["mx"]))


def cycle_histogram(cur: Cursor, org: str, department: str | None = None, since: str | None = None,
                    before: str | None = None) -> list[int]:
    """Decisions per bucket (one count per bound, then one for longer), same selection as cycle_stats."""
    where, params = _decisions_where(org, department, since, before)
    counts = [0] * (len(BUCKET_BOUNDS_HOURS) + 1)
    rows = cur.execute(f"SELECT duration_bucket AS b, COUNT(*) AS n FROM {DECISIONS.name} WHERE {where} "
                       "GROUP BY duration_bucket", params).fetchall()
    for row in rows:
        if row["b"] is not None:
            counts[int(row["b"])] += int(row["n"])
    if any(row["b"] is None for row in rows):
        for row in cur.execute(f"SELECT duration_us FROM {DECISIONS.name} WHERE {where} "
                               "AND duration_bucket IS NULL", params).fetchall():
            counts[bucket_of(int(row["duration_us"]))] += 1
    return counts
