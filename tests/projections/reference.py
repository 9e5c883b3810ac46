"""What each read model should hold, computed directly from the events with
plain Python (Decimal money, timedelta durations), independently of the
projection code."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from math import ceil
from typing import Any

from aggregates.money import format_amount
from aggregates.purchase_order import PurchaseOrder


def all_events(app) -> list[Any]:
    """Every domain event in the store, in global order."""
    found, after = [], 0
    while batch := list(app.recorder.select_notifications(start=after, limit=1000, inclusive_of_start=False)):
        found += [app.mapper.to_domain_event(n) for n in batch]
        after = batch[-1].id
    return found


def _total(lines) -> Decimal:
    return sum((Decimal(line["unit_price"]) * int(line["quantity"]) for line in lines), Decimal("0.00"))


@dataclass
class Po:
    """One PO folded from its events, as the reference sees it."""

    id: str
    org: str
    department: str | None
    requester: str
    supplier_id: str = ""
    currency: str = ""
    total: Decimal = Decimal(0)
    status: str = "draft"
    remarks: dict = field(default_factory=dict)  # the texts commands left on it, those set
    created_at: Any = None
    updated_at: Any = None
    version: int = 0
    submitted_at: Any = None
    # (total, at, supplier, currency) of the latest approval and the first placement: a PO
    # cancelled, reopened and revised keeps its facts as they were (the spend report's contract)
    approved: tuple | None = None
    placed: tuple | None = None
    decisions: list = field(default_factory=list)  # (decided_at, duration)


def fold(events) -> dict[str, Po]:
    pos: dict[str, Po] = {}
    aggregates: dict[str, PurchaseOrder] = {}  # the status and remarks: the aggregate's, applying its events
    for e in events:
        if not isinstance(e, PurchaseOrder.Event):
            continue
        name, key = type(e).__name__, str(e.originator_id)
        if name == "Created":
            pos[key] = Po(key, e.org, e.department, e.requester, created_at=e.timestamp)
        po = pos[key]
        if name in ("Created", "Revised"):
            po.supplier_id, po.currency, po.total = e.supplier_id, e.currency, _total(e.lines)
        if name == "Submitted":
            po.submitted_at = e.timestamp
        if name in ("Approved", "Rejected"):
            po.decisions.append((e.timestamp, e.timestamp - po.submitted_at))
        if name == "Approved":
            po.approved = (po.total, e.timestamp, po.supplier_id, po.currency)
        if name in ("Placed", "Shipped") and po.placed is None:
            po.placed = (po.total, e.timestamp, po.supplier_id, po.currency)
        aggregates[key] = e.mutate(aggregates.get(key))
        po.status = aggregates[key].status
        po.remarks = {name: text for name, text in aggregates[key].remarks().items() if text is not None}
        po.version, po.updated_at = e.originator_version, e.timestamp
    return pos


def spend(pos: dict[str, Po], org: str, group_by: str, since=None, before=None) -> list[tuple]:
    """[(group, currency, approved_total, approved_count, placed_total, placed_count)] sorted like the API."""
    sums: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0, Decimal(0), 0])
    for po in pos.values():
        if po.org != org:
            continue
        for slot, fact in ((0, po.approved), (2, po.placed)):
            if fact is None or (since and fact[1] < since) or (before and fact[1] >= before):
                continue
            total, at, supplier_id, currency = fact
            group = {"department": po.department, "supplier": supplier_id, "month": at.strftime("%Y-%m")}[group_by]
            entry = sums[(group, currency)]
            entry[slot] += fact[0]
            entry[slot + 1] += 1
    ordered = sorted(sums, key=lambda k: (k[0] is not None, k[0] or "", k[1]))
    return [(g, c, format_amount(sums[(g, c)][0]), sums[(g, c)][1], format_amount(sums[(g, c)][2]),
             sums[(g, c)][3]) for g, c in ordered]


def micros(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def percentile(values: list[int], p: int) -> int:
    """Nearest rank: the value at 1-based rank ceil(p/100 * n) of the sorted values."""
    ordered = sorted(values)
    return ordered[max(1, ceil(Fraction(p, 100) * len(ordered))) - 1]


def _durations(pos: dict[str, Po], org: str, department, since, before) -> list[int]:
    return [micros(d) for po in pos.values() if po.org == org and (department is None or po.department == department)
            for at, d in po.decisions if (since is None or at >= since) and (before is None or at < before)]


def cycle_histogram(pos: dict[str, Po], org: str, bounds_hours, department=None, since=None, before=None) -> list:
    """Decisions per bucket: the first bound (hours, inclusive) a duration does not exceed, else the last bucket."""
    counts = [0] * (len(bounds_hours) + 1)
    for value in _durations(pos, org, department, since, before):
        fits = [i for i, hours in enumerate(bounds_hours) if value <= timedelta(hours=hours) // timedelta(microseconds=1)]
        counts[fits[0] if fits else len(bounds_hours)] += 1
    return counts


def cycle(pos: dict[str, Po], org: str, department=None, since=None, before=None) -> tuple:
    """(count, p50, p90, max) in microseconds; Nones when empty."""
    values = _durations(pos, org, department, since, before)
    if not values:
        return 0, None, None, None
    return len(values), percentile(values, 50), percentile(values, 90), max(values)
