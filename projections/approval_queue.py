"""Approval queue: the submitted POs a caller may approve, oldest first.

The table keeps every PO's decision facts (org, department, requester, total,
status) so that a PO re-entering `submitted` needs nothing from elsewhere;
`submitted_at` is the time of its latest submission. The query applies the
same rule as `aggregates.policy.authorize(who, "approve", po)`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR
from typing import Any

from aggregates.policy import Principal
from aggregates.transitions import STATUS_AFTER
from projections.keyset import Order, limit_one_more, page
from projections.runner import Positioned
from projections.store import Cursor, utc_text
from projections.tables import ReadModel, Table, kind, po_events, po_id, select_by_ids, total_cents, upsert

QUEUE = Table(
    "rm_approval_queue",
    "id TEXT NOT NULL, org TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL, "
    "total_cents BIGINT NOT NULL, currency TEXT NOT NULL, supplier_id TEXT NOT NULL, department TEXT, "
    "requester TEXT NOT NULL, needed_by TEXT NOT NULL, version INTEGER NOT NULL, created_at TEXT NOT NULL, "
    "submitted_at TEXT",
    key=("id",),
    indexes=(("waiting", "org, status, department, submitted_at, id"),),
)



def _content(event: Any) -> dict[str, Any]:
    return {"title": event.title, "supplier_id": event.supplier_id, "currency": event.currency,
            "needed_by": event.needed_by, "total_cents": total_cents(event.lines)}


class ApprovalQueue(ReadModel):
    name = "approval_queue"
    tables = (QUEUE,)
    reads_by_po = ((QUEUE, "id"),)

    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        items = po_events(batch)
        if not items:
            return
        table = self.t(QUEUE.name)
        keyed = [(po_id(i), i) for i in items]
        rows = {r["id"]: r for r in select_by_ids(cur, table, "id", {key for key, _ in keyed})}
        touched = set()
        for key, item in keyed:
            name, event, row = kind(item), item.event, rows.get(key)
            if name == "Created":
                if row is not None:
                    continue
                row = rows[key] = {
                    "id": key, "org": event.org, "status": "draft", "department": event.department,
                    "requester": event.requester, "created_at": utc_text(event.timestamp), "submitted_at": None,
                    **_content(event)}
            elif row is None or event.originator_version <= row["version"]:
                continue
            elif name == "Revised":
                row.update(_content(event))
            if name in STATUS_AFTER:
                row["status"] = STATUS_AFTER[name]
                row["submitted_at"] = utc_text(event.timestamp) if name == "Submitted" else None
            row["version"] = event.originator_version
            touched.add(key)
        upsert(cur, table, QUEUE.key, [rows[i] for i in sorted(touched)])


# --- queries ------------------------------------------------------------------

OLDEST_FIRST = Order("submitted_at", False)


def may_approve_anything(who: Principal) -> bool:
    """Only approvers and admins have a queue."""
    return who.has("approver") or who.has("admin")


def _approvable_by(who: Principal, params: dict[str, Any]) -> list[str]:
    params.update(org=who.org, sub=who.sub)
    clauses = ["org = %(org)s", "status = 'submitted'", "requester <> %(sub)s"]
    if who.has("admin"):
        return clauses
    if who.department is None:
        clauses.append("department IS NULL")
    else:
        params["department"] = who.department
        clauses.append("department = %(department)s")
    if who.approval_limit is None:
        clauses.append("1 = 0")  # the policy refuses every approval without a limit
    else:
        # total <= limit  <=>  total_cents <= floor(limit * 100), totals being whole cents
        params["limit_cents"] = int((who.approval_limit * 100).to_integral_value(ROUND_FLOOR))
        clauses.append("total_cents <= %(limit_cents)s")
    return clauses


def approval_queue(cur: Cursor, who: Principal, limit: int,
                   after: tuple[Any, str] | None = None) -> tuple[list[dict[str, Any]], tuple | None]:
    """One page of the submitted POs `who` may approve, oldest submission first."""
    if not may_approve_anything(who):
        return [], None
    params: dict[str, Any] = {}
    clauses = [*_approvable_by(who, params), OLDEST_FIRST.after(after, params)]
    rows = cur.execute(
        f"SELECT * FROM {QUEUE.name} WHERE {' AND '.join(clauses)} ORDER BY {OLDEST_FIRST.by()} {limit_one_more(limit)}",
        params,
    ).fetchall()
    return page(rows, limit, OLDEST_FIRST.column)
