"""Spend: approved and placed totals per department, supplier or month, per currency.

Facts, not running sums: one `approved` fact per PO (its latest approval:
total and time) and one `placed` fact per PO (its first placement: `Placed`,
or a `Shipped` notice that overtook it). Later events never remove a fact,
so a PO cancelled after approval keeps its approved total. The report sums
facts whose time falls in the asked period, exactly, in integer cents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from projections.runner import Positioned
from projections.store import Cursor, utc_text
from projections.tables import ReadModel, Table, kind, po_events, po_id, select_by_ids, total_cents, upsert

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

APPROVED, PLACED = "approved", "placed"


class Spend(ReadModel):
    name = "spend"
    tables = (ORDERS, FACTS)
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
        changed_orders, changed_facts = set(), set()
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
                facts[(key, fact)] = _fact(orders[key], fact, event.timestamp)
                changed_facts.add((key, fact))
        upsert(cur, self.t(ORDERS.name), ORDERS.key, [orders[k] for k in sorted(changed_orders)])
        upsert(cur, self.t(FACTS.name), FACTS.key, [facts[k] for k in sorted(changed_facts)])


def _fact(order: dict[str, Any], fact: str, moment: Any) -> dict[str, Any]:
    at = utc_text(moment)
    return {"po_id": order["id"], "kind": fact, "org": order["org"], "department": order["department"],
            "supplier_id": order["supplier_id"], "currency": order["currency"],
            "amount_cents": order["total_cents"], "at": at, "month": at[:7]}


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
    placed)."""
    column = GROUPS[group_by]
    params: dict[str, Any] = {"org": org}
    clauses = ["org = %(org)s"]
    for name, value in (("department", department), ("supplier_id", supplier_id)):
        if value is not None:
            params[name] = value
            clauses.append(f"{name} = %({name})s")
    if since is not None:
        params["since"] = since
        clauses.append("at >= %(since)s")
    if before is not None:
        params["before"] = before
        clauses.append("at < %(before)s")
    found = cur.execute(
        f"SELECT {column} AS grp, currency, kind, SUM(amount_cents) AS cents, COUNT(*) AS n "
        f"FROM {FACTS.name} WHERE {' AND '.join(clauses)} GROUP BY {column}, currency, kind",
        params,
    ).fetchall()
    rows: dict[tuple[str | None, str], SpendRow] = {}
    for r in found:
        row = rows.setdefault((r["grp"], r["currency"]), SpendRow(r["grp"], r["currency"]))
        if r["kind"] == APPROVED:
            row.approved_cents, row.approved_count = int(r["cents"]), int(r["n"])
        else:
            row.placed_cents, row.placed_count = int(r["cents"]), int(r["n"])
    return [rows[k] for k in sorted(rows, key=lambda k: (k[0] is not None, k[0] or "", k[1]))]
