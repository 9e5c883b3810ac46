"""Cycle times: how long a submitted PO waits for its decision.

One row per decision (approve or reject) with its duration from the LAST
submission before it, exact to the microsecond. Percentiles use the
nearest-rank method: with the n durations sorted ascending, the p-th
percentile is the value at 1-based rank ceil(p * n / 100); it is always an
observed duration, and the same on PostgreSQL and SQLite.

The histogram counts decisions per duration bucket (`BUCKET_BOUNDS_HOURS`,
each bound inclusive, then one bucket for anything longer). Each decision
also has a finer rank bucket (its duration's first two decimal digits and
its number of digits, so at most 10% wide), and the model keeps how many
decisions each UTC day, department and pair of buckets has
(`rm_cycle_days`). The report counts from the days wholly inside its period
and from the decisions at its part-day edges, finds the rank bucket that
holds each percentile's rank, and reads the decisions of that one bucket:
its cost follows the days asked about and the decisions in one bucket, not
every decision of the period.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from projections.runner import Positioned
from projections.store import Cursor, utc_text
from projections.tables import ReadModel, Table, kind, period_parts, po_events, po_id, select_by_ids, upsert

ORDERS = Table(
    "rm_cycle_orders",
    "id TEXT NOT NULL, org TEXT NOT NULL, department TEXT, submitted_us BIGINT",
    key=("id",),
)
DECISIONS = Table(
    "rm_cycle_decisions",
    "po_id TEXT NOT NULL, version INTEGER NOT NULL, org TEXT NOT NULL, department TEXT, outcome TEXT NOT NULL, "
    "decided_at TEXT NOT NULL, duration_us BIGINT NOT NULL, duration_bucket INTEGER, rank_bucket INTEGER",
    key=("po_id", "version"),
    indexes=(("org_at", "org, decided_at"), ("org_department", "org, department, decided_at"),
             ("org_rank", "org, rank_bucket, duration_us, decided_at, department")),
)
#: Decisions per UTC day, org, department ('' for none: a token's department
#: is never empty) and buckets.
DAYS = Table(
    "rm_cycle_days",
    "org TEXT NOT NULL, day TEXT NOT NULL, department TEXT NOT NULL, duration_bucket INTEGER NOT NULL, "
    "rank_bucket INTEGER NOT NULL, decisions BIGINT NOT NULL",
    key=("org", "day", "department", "duration_bucket", "rank_bucket"),
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


def rank_bucket_of(duration_us: int) -> int:
    """0 below 10 us, then one bucket per first two decimal digits and
    number of digits, in the order of the durations (10 us is 1, 99 us is
    90, 100-109 us is 91, 1000-1099 us is 181); schema step 0012 computes
    the same in SQL."""
    if duration_us < 10:
        return 0
    digits = str(duration_us)
    return (len(digits) - 1) * 90 + int(digits[:2]) - 99


class CycleTimes(ReadModel):
    name = "cycle_times"
    tables = (ORDERS, DECISIONS, DAYS)
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
                    "duration_bucket": bucket_of(duration), "rank_bucket": rank_bucket_of(duration)})
            changed.add(key)
        upsert(cur, self.t(ORDERS.name), ORDERS.key, [orders[k] for k in sorted(changed)])
        upsert(cur, self.t(DECISIONS.name), DECISIONS.key, decisions)
        upsert(cur, self.t(DAYS.name), DAYS.key, _days(decisions), adding=("decisions",))


def _days(decisions: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The batch's decisions counted per day, org, department and buckets."""
    days: dict[tuple, dict[str, Any]] = {}
    for d in decisions:
        row = {"org": d["org"], "day": d["decided_at"][:10], "department": d["department"] or "",
               "duration_bucket": d["duration_bucket"], "rank_bucket": d["rank_bucket"]}
        days.setdefault(tuple(row.values()), {**row, "decisions": 0})["decisions"] += 1
    return [days[k] for k in sorted(days)]


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


#: (duration bucket, rank bucket) -> decisions
Counts = dict[tuple[int, int], int]


def _counts(cur: Cursor, org: str, department: str | None, since: str | None, before: str | None) -> Counts:
    """Decisions per pair of buckets in [since, before): whole days from
    their counts, part-days from the decisions themselves (rows an older
    release wrote, without buckets, count nowhere, as in the days)."""
    days, edges = period_parts(since, before)
    found = []
    if days is not None:
        params: dict[str, Any] = {"org": org, "department": department, "first": days[0], "end": days[1]}
        clauses = ["org = %(org)s"] + [clause for value, clause in (
            (department, "department = %(department)s"), (days[0], "day >= %(first)s"), (days[1], "day < %(end)s"))
            if value is not None]
        found += cur.execute(f"SELECT duration_bucket AS b, rank_bucket AS r, SUM(decisions) AS n FROM {DAYS.name} "
                             f"WHERE {' AND '.join(clauses)} GROUP BY duration_bucket, rank_bucket", params).fetchall()
    for part in edges:
        where, params = _decisions_where(org, department, *part)
        found += cur.execute(f"SELECT duration_bucket AS b, rank_bucket AS r, COUNT(*) AS n FROM {DECISIONS.name} "
                             f"WHERE {where} AND rank_bucket IS NOT NULL GROUP BY duration_bucket, rank_bucket",
                             params).fetchall()
    counts: Counts = {}
    for r in found:
        counts[(int(r["b"]), int(r["r"]))] = counts.get((int(r["b"]), int(r["r"])), 0) + int(r["n"])
    return counts


def cycle_stats(cur: Cursor, org: str, department: str | None = None, since: str | None = None,
                before: str | None = None) -> CycleStats:
    """Decisions of `org` (and `department`) decided in [since, before)."""
    counts = _counts(cur, org, department, since, before)
    per_rank: dict[int, int] = {}
    for (_, rank), n in counts.items():
        per_rank[rank] = per_rank.get(rank, 0) + n
    n = sum(per_rank.values())
    if n == 0:
        return CycleStats(0, None, None, None)
    where, params = _decisions_where(org, department, since, before)

    def at_rank(wanted: int) -> int | None:
        """The duration at 1-based rank `wanted`, read from its rank bucket
        alone, walking the index from the bucket's nearer end."""
        below = 0
        for rank in sorted(per_rank):
            if below + per_rank[rank] >= wanted:
                offset = wanted - below - 1
                order = "ASC"
                if offset >= per_rank[rank] // 2:
                    offset, order = per_rank[rank] - 1 - offset, "DESC"
                row = cur.execute(f"SELECT duration_us FROM {DECISIONS.name} WHERE {where} "
                                  f"AND rank_bucket = %(rank)s ORDER BY duration_us {order} "
                                  "LIMIT 1 OFFSET %(offset)s", {**params, "rank": rank, "offset": offset}).fetchone()
                return None if row is None else int(row["duration_us"])
            below += per_rank[rank]
        return None

    return CycleStats(n, at_rank(nearest_rank(50, n)), at_rank(nearest_rank(90, n)), at_rank(n))


def cycle_histogram(cur: Cursor, org: str, department: str | None = None, since: str | None = None,
                    before: str | None = None) -> list[int]:
    """Decisions per bucket (one count per bound, then one for longer), same selection as cycle_stats."""
    counts = [0] * (len(BUCKET_BOUNDS_HOURS) + 1)
    for (bucket, _), n in _counts(cur, org, department, since, before).items():
        counts[bucket] += n
    return counts
