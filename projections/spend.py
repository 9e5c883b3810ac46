"""Spend: approved and placed totals per department, supplier or month, per currency.

Facts, not running sums: one `approved` fact per PO (its latest approval:
total and time) and one `placed` fact per PO (its first placement: `Placed`,
or a `Shipped` notice that overtook it). Later events never remove a fact,
so a PO cancelled after approval keeps its approved total. The report sums
facts whose time falls in the asked period, exactly, in integer cents.

Beside the facts, their running totals per UTC day, org, department,
supplier, currency and kind (`rm_spend_days`, kept in the same
transaction): the report reads the totals of the days wholly inside the
period and the facts only for the part-days at its edges, so its cost
follows the days and groups asked about, not the POs in them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from projections.runner import Positioned
from projections.store import Cursor, utc_text
from projections.tables import (
    ReadModel,
    Table,
    kind,
    period_parts,
    po_events,
    po_id,
    select_by_ids,
    total_cents,
    upsert,
)

ORDERS = Table(
    "rm_spend_orders",
    "id TEXT NOT NULL, org TEXT NOT NULL, department TEXT, supplier_id TEXT NOT NULL, "
    "currency TEXT NOT NULL, total_cents BIGINT NOT NULL",
    key=("id",),
)
FACTS = Table(
    "rm_spend_facts",
    "po_id TEXT NOT NULL, kind TEXT NOT NULL, org TEXT NOT NULL, department TEXT, supplier_id TEXT NOT NULL, "
    "currency TEXT NOT NULL, amount_cents BIGINT NOT NULL, at TEXT NOT NULL, month TEXT NOT NULL",
    key=("po_id", "kind"),
    indexes=(("org_at", "org, at"),),
)

#: The facts' totals per day. A PO without a department counts under ''
#: (a token's department is never empty).
DAYS = Table(
    "rm_spend_days",
    "org TEXT NOT NULL, day TEXT NOT NULL, department TEXT NOT NULL, supplier_id TEXT NOT NULL, "
    "currency TEXT NOT NULL, kind TEXT NOT NULL, amount_cents BIGINT NOT NULL, facts BIGINT NOT NULL",
    key=("org", "day", "department", "supplier_id", "currency", "kind"),
)
_DAY_SUMS = ("amount_cents", "facts")

APPROVED, PLACED = "approved", "placed"


class Spend(ReadModel):
    name = "spend"
    tables = (ORDERS, FACTS, DAYS)
    reads_by_po = ((ORDERS, "id"), (FACTS, "po_id"))
    kinds = frozenset({"Created", "Revised", "Approved", "Placed", "Shipped"})

    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        items = [i for i in po_events(batch) if kind(i) in ("Created", "Revised", "Approved", "Placed", "Shipped")]
        if not items:
            return
        keyed = [(po_id(i), i) for i in items]
        ids = {key for key, _ in keyed}
        orders = {r["id"]: r for r in select_by_ids(cur, self.t(ORDERS.name), "id", ids)}
        facts = {(r["po_id"], r["kind"]): r for r in select_by_ids(cur, self.t(FACTS.name), "po_id", ids)}
        changed_orders, changed_facts, days = set(), set(), {}
        for key, item in keyed:
            name, event = kind(item), item.event
            if name == "Revised" and key not in orders:
                continue  # a PO this model never saw created (cannot happen from position 0)
            if name in ("Created", "Revised"):
                base = orders.get(key) or {"id": key, "org": event.org, "department": event.department}
                orders[key] = {**base, "supplier_id": event.supplier_id, "currency": event.currency,
                               "total_cents": total_cents(event.lines)}
                changed_orders.add(key)
            elif key in orders and (name == "Approved" or (key, PLACED) not in facts):
                fact = APPROVED if name == "Approved" else PLACED
                if (key, fact) in facts:  # a later approval replaces the earlier one
                    _count(days, facts[(key, fact)], -1)
                facts[(key, fact)] = _fact(orders[key], fact, event.timestamp)
                _count(days, facts[(key, fact)], 1)
                changed_facts.add((key, fact))
        upsert(cur, self.t(ORDERS.name), ORDERS.key, [orders[k] for k in sorted(changed_orders)])
        upsert(cur, self.t(FACTS.name), FACTS.key, [facts[k] for k in sorted(changed_facts)])
        upsert(cur, self.t(DAYS.name), DAYS.key, [days[k] for k in sorted(days)], adding=_DAY_SUMS)


def _fact(order: dict[str, Any], fact: str, moment: Any) -> dict[str, Any]:
    at = utc_text(moment)
    return {"po_id": order["id"], "kind": fact, "org": order["org"], "department": order["department"],
            "supplier_id": order["supplier_id"], "currency": order["currency"],
            "amount_cents": order["total_cents"], "at": at, "month": at[:7]}


def _count(days: dict[tuple, dict[str, Any]], fact: dict[str, Any], sign: int) -> None:
    """Add `fact` (sign 1) to, or take it (-1) from, its day's totals in `days`."""
    row = {"org": fact["org"], "day": fact["at"][:10], "department": fact["department"] or "",
           "supplier_id": fact["supplier_id"], "currency": fact["currency"], "kind": fact["kind"]}
    total = days.setdefault(tuple(row[k] for k in DAYS.key), {**row, "amount_cents": 0, "facts": 0})
    total["amount_cents"] += sign * int(fact["amount_cents"])
    total["facts"] += sign


# --- queries ------------------------------------------------------------------

GROUPS = {"department": "department", "supplier": "supplier_id", "month": "month"}


@dataclass
class SpendRow:
    """One group and currency: totals in cents and how many POs make them."""

    group: str | None
    currency: str
    approved_cents: int = 0
    approved_count: int = 0
    placed_cents: int = 0
    placed_count: int = 0


def spend_report(cur: Cursor, org: str, group_by: str, since: str | None = None,
                 before: str | None = None, department: str | None = None,
                 supplier_id: str | None = None) -> list[SpendRow]:
    """Per group and currency, sorted by group (no department first) then
    currency. `since` is inclusive, `before` exclusive (UTC text);
    `department` and `supplier_id`, when given, keep only the facts of POs
    with exactly that department (as created) and supplier (as approved or
    placed). Whole days from their totals, part-days from the facts."""
    days, edges = period_parts(since, before)
    found = [] if days is None else _day_sums(cur, org, group_by, *days, department, supplier_id)
    for part in edges:
        found += _fact_sums(cur, org, group_by, *part, department, supplier_id)
    rows: dict[tuple[str | None, str], SpendRow] = {}
    for group, currency, fact, cents, count in found:
        row = rows.setdefault((group, currency), SpendRow(group, currency))
        if fact == APPROVED:
            row.approved_cents += cents
            row.approved_count += count
        else:
            row.placed_cents += cents
            row.placed_count += count
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0] is not None, k[0] or "", k[1]))
            if rows[k].approved_count or rows[k].placed_count]


def _clauses(org: str, department: str | None, supplier_id: str | None) -> tuple[list[str], dict[str, Any]]:
    params: dict[str, Any] = {"org": org}
    clauses = ["org = %(org)s"]
    for name, value in (("department", department), ("supplier_id", supplier_id)):
        if value is not None:
            params[name] = value
            clauses.append(f"{name} = %({name})s")
    return clauses, params


def _fact_sums(cur: Cursor, org: str, group_by: str, since: str | None, before: str | None,
               department: str | None, supplier_id: str | None) -> list[tuple]:
    """(group, currency, kind, cents, count) of the facts in [since, before)."""
    clauses, params = _clauses(org, department, supplier_id)
    for name, value, clause in (("since", since, "at >= %(since)s"), ("before", before, "at < %(before)s")):
        if value is not None:
            params[name] = value
            clauses.append(clause)
    column = GROUPS[group_by]
    return [(r["grp"], r["currency"], r["kind"], int(r["cents"]), int(r["n"])) for r in cur.execute(
        f"SELECT {column} AS grp, currency, kind, SUM(amount_cents) AS cents, COUNT(*) AS n "
        f"FROM {FACTS.name} WHERE {' AND '.join(clauses)} GROUP BY {column}, currency, kind", params).fetchall()]


_DAY_GROUPS = {"department": "department", "supplier": "supplier_id", "month": "SUBSTR(day, 1, 7)"}


def _day_sums(cur: Cursor, org: str, group_by: str, first: str | None, end: str | None,
              department: str | None, supplier_id: str | None) -> list[tuple]:
    """(group, currency, kind, cents, count) of the days in [first, end)."""
    clauses, params = _clauses(org, department, supplier_id)
    for name, value, clause in (("first", first, "day >= %(first)s"), ("end", end, "day < %(end)s")):
        if value is not None:
            params[name] = value
            clauses.append(clause)
    column = _DAY_GROUPS[group_by]
    found = cur.execute(
        f"SELECT {column} AS grp, currency, kind, SUM(amount_cents) AS cents, SUM(facts) AS n "
        f"FROM {DAYS.name} WHERE {' AND '.join(clauses)} GROUP BY {column}, currency, kind", params).fetchall()
    # A day's totals keep '' for POs without a department; the report says null.
    blank = group_by == "department"
    return [(None if blank and r["grp"] == "" else r["grp"], r["currency"], r["kind"], int(r["cents"]), int(r["n"]))
            for r in found if int(r["n"])]
