"""PO summary: one row per purchase order, backing `GET /purchase-orders`.

The row holds the PO document's scalar fields (no lines); the texts commands
leave on it (`remarks`, as the transition table names them) are one JSON
object, so a new command's remark needs no new column. The columns
`rejection_reason` and `cancellation_reason` are still written for the
previous release's readers, and read for rows written before `remarks`. Its `search` column
(title and SKUs, lowercase) is still written for the previous release's
readers; this release searches with projections/po_search.py. Money is
integer cents, times fixed-width UTC text. A batch is folded in memory (load
the touched rows, apply the events, write them back with one executemany),
so a rebuild costs a few statements per batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aggregates.policy import ORG_WIDE_READERS, Principal
from aggregates.transitions import CLEARS_REMARKS, REMARK_OF, STATUS_AFTER
from projections import po_search
from projections.keyset import Order, limit_one_more, page
from projections.runner import Positioned
from projections.store import Cursor, utc_text
from projections.tables import (
    ReadModel,
    Table,
    fold_into_rows,
    kind,
    po_events,
    po_id,
    select_by_ids,
    total_cents,
    upsert,
)
from projections.visibility import visible_to

SUMMARY = Table(
    "rm_po_summary",
    "id TEXT NOT NULL, org TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL, "
    "total_cents BIGINT NOT NULL, currency TEXT NOT NULL, supplier_id TEXT NOT NULL, department TEXT, "
    "requester TEXT NOT NULL, needed_by TEXT NOT NULL, version INTEGER NOT NULL, "
    "created_at TEXT NOT NULL, updated_at TEXT NOT NULL, rejection_reason TEXT, cancellation_reason TEXT, "
    "supplier_reference TEXT, tracking_number TEXT, operation_id TEXT, search TEXT NOT NULL, "
    "position BIGINT NOT NULL, remarks TEXT",
    key=("id",),
    indexes=(("created", "org, created_at, id"), ("total", "org, total_cents, id"),
             ("requester", "org, requester, created_at"), ("department", "org, department, created_at")),
)



def _content(event: Any) -> dict[str, Any]:
    lines = list(event.lines)
    search = "\n".join([event.title, *(line["sku"] for line in lines)]).lower()
    return {"title": event.title, "supplier_id": event.supplier_id, "currency": event.currency,
            "needed_by": event.needed_by, "total_cents": total_cents(lines), "search": search}


def _created(key: str, item: Positioned) -> dict[str, Any]:
    event = item.event
    return {"id": key, "org": event.org, "status": "draft", "department": event.department,
            "requester": event.requester, "created_at": utc_text(event.timestamp),
            "rejection_reason": None, "cancellation_reason": None, "supplier_reference": None,
            "tracking_number": None, "operation_id": None, "remarks": "{}", **_content(event)}


def _evolve(row: dict[str, Any], item: Positioned) -> None:
    """Apply one non-creation event to `row`, as the aggregate does."""
    name, event = kind(item), item.event
    if name == "Revised":
        row.update(_content(event))
    if name in STATUS_AFTER:
        row["status"] = STATUS_AFTER[name]
        if row["status"] in CLEARS_REMARKS:
            _set_remarks(row, {})
    if name in REMARK_OF:
        _set_remarks(row, {**_remarks(row), REMARK_OF[name]: _text(event)})
    if name == "PlacementRequested":
        row["operation_id"] = str(event.operation_id)
    elif name == "Placed":
        row["supplier_reference"] = event.supplier_reference
    elif name == "Shipped":
        row["supplier_reference"] = event.supplier_reference
        row["tracking_number"] = event.tracking_number


#: Remarks with a column of their own, which the previous release reads.
_REMARK_COLUMNS = ("rejection_reason", "cancellation_reason")
#: What every event carries besides its own fields.
_ENVELOPE = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp"})


def _text(event: Any) -> str | None:
    """The text an event leaving a remark carries: its one field (events are dataclasses)."""
    (name,) = (name for name in type(event).__dataclass_fields__ if name not in _ENVELOPE)
    return getattr(event, name)


def _remarks(row: dict[str, Any]) -> dict[str, str]:
    return stored_remarks(row["remarks"], row["rejection_reason"], row["cancellation_reason"])


def stored_remarks(remarks: str | None, rejection_reason: str | None, cancellation_reason: str | None
                   ) -> dict[str, str]:
    """A row's remarks (those set): its `remarks` column, but the remarks
    with columns of their own from those, which the previous release's
    processes keep up to date too (and which alone hold them in a row
    written before `remarks` was)."""
    found = {**(json.loads(remarks) if remarks is not None else {}),
             "rejection_reason": rejection_reason, "cancellation_reason": cancellation_reason}
    return {name: text for name, text in found.items() if text is not None}


def _set_remarks(row: dict[str, Any], remarks: dict[str, str | None]) -> None:
    kept = {name: text for name, text in remarks.items() if text is not None}
    # Compact and sorted: the form schema step 0010 fills older rows with.
    row["remarks"] = json.dumps(kept, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    row.update({column: kept.get(column) for column in _REMARK_COLUMNS})


class PurchaseOrderSummary(ReadModel):
    name = "po_summary"
    tables = (SUMMARY,)
    reads_by_po = ((SUMMARY, "id"),)

    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        items = po_events(batch)
        if not items:
            return
        table = self.t(SUMMARY.name)
        keyed = [(po_id(i), i) for i in items]
        rows = {r["id"]: r for r in select_by_ids(cur, table, "id", {key for key, _ in keyed})}
        touched = fold_into_rows(self.name, keyed, rows, _created, _evolve)
        for key, latest in touched.items():
            rows[key]["updated_at"] = utc_text(latest.event.timestamp)
        upsert(cur, table, SUMMARY.key, [rows[i] for i in sorted(touched)])


# --- queries ------------------------------------------------------------------

SORTS = {"created_at": Order("created_at", False), "-created_at": Order("created_at", True),
         "total": Order("total_cents", False), "-total": Order("total_cents", True)}


@dataclass(frozen=True)
class Filters:
    """What `GET /purchase-orders` may filter on (None: no filter).

    `created_from` is inclusive and `created_before` exclusive, both UTC text;
    totals are inclusive cents; `terms` (words as `po_search.words` makes
    them) must each start a word of the PO's searchable text.
    """

    statuses: tuple[str, ...] = ()
    department: str | None = None
    supplier_id: str | None = None
    requester: str | None = None
    created_from: str | None = None
    created_before: str | None = None
    min_cents: int | None = None
    max_cents: int | None = None
    terms: tuple[str, ...] = ()


def _where(who: Principal, f: Filters, params: dict[str, Any]) -> list[str]:
    clauses = [visible_to(who, params)]
    if f.statuses:
        names = {f"s{n}": s for n, s in enumerate(f.statuses)}
        params.update(names)
        clauses.append(f"status IN ({', '.join(f'%({k})s' for k in names)})")
    for column in ("department", "supplier_id", "requester"):
        if getattr(f, column) is not None:
            params[f"f_{column}"] = getattr(f, column)
            clauses.append(f"{column} = %(f_{column})s")
    bounds = (("created_from", "created_at >= %(created_from)s"), ("created_before", "created_at < %(created_before)s"),
              ("min_cents", "total_cents >= %(min_cents)s"), ("max_cents", "total_cents <= %(max_cents)s"))
    for attribute, clause in bounds:
        if getattr(f, attribute) is not None:
            params[attribute] = getattr(f, attribute)
            clauses.append(clause)
    return clauses


#: The columns a list item is made of (not `search` or `position`).
LISTED = ("id", "org", "title", "status", "total_cents", "currency", "supplier_id", "department", "requester",
          "needed_by", "version", "created_at", "updated_at", "remarks", "rejection_reason", "cancellation_reason",
          "supplier_reference", "tracking_number", "operation_id")


def page_statement(who: Principal, filters: Filters, sort: str, limit: int,
                   after: tuple[Any, str] | None = None, *, dialect: str) -> tuple[str, dict[str, Any]]:
    """SQL and parameters selecting up to `limit + 1` rows (LISTED columns)
    of the POs `who` may see, in `sort` order, strictly after the key
    `after` (a key a previous page returned): one more than a page, so that
    `keyset.page` can tell whether another page follows. `dialect` is the
    database's ("postgres" or "sqlite"): search is written for each."""
    order = SORTS[sort]
    params: dict[str, Any] = {}
    source, clauses = SUMMARY.name, [*_where(who, filters, params), order.after(after, params)]
    if filters.terms:
        source, matched = po_search.matching(dialect, SUMMARY.name, filters.terms, params)
        clauses.append(matched)
    sql = (f"SELECT {', '.join(LISTED)} FROM {source} WHERE {' AND '.join(clauses)} "
           f"ORDER BY {order.by()} {limit_one_more(limit)}")
    return sql, params


def list_orders(cur: Cursor, who: Principal, filters: Filters, sort: str, limit: int,
                after: tuple[Any, str] | None = None) -> tuple[list[dict[str, Any]], tuple | None]:
    """One page of the POs `who` may see, and the key to continue after (None
    on the last page). `after` is a key a previous page returned."""
    sql, params = page_statement(who, filters, sort, limit, after, dialect=cur.dialect)
    return page(cur.execute(sql, params).fetchall(), limit, SORTS[sort].column)


#: The most departments one answer lists (a pick list, not a report).
MAX_CHOICES = 200


def departments(cur: Cursor, who: Principal, limit: int = MAX_CHOICES) -> tuple[list[str], bool]:
    """The distinct departments of the POs `who` may see, in order, at most
    `limit` (and whether more exist)."""
    found = _org_departments(cur, who.org, limit + 1) if who.roles & ORG_WIDE_READERS else _own_departments(cur, who)
    return found[:limit], len(found) > limit


def _org_departments(cur: Cursor, org: str, cap: int) -> list[str]:
    """A skip scan of the (org, department) index: one index probe per
    department listed, so the cost follows the answer, not the org's POs."""
    first = f"SELECT MIN(department) FROM {SUMMARY.name} WHERE org = %(org)s"
    sql = (f"WITH RECURSIVE d(department, n) AS (SELECT ({first}), 1 "
           f"UNION ALL SELECT ({first} AND department > d.department), n + 1 FROM d "
           f"WHERE d.department IS NOT NULL AND n < %(cap)s) "
           f"SELECT department FROM d WHERE department IS NOT NULL ORDER BY n")
    return [row["department"] for row in cur.execute(sql, {"org": org, "cap": cap}).fetchall()]


def _own_departments(cur: Cursor, who: Principal) -> list[str]:
    """The departments of the caller's own POs (the (org, requester) index:
    as many rows as they created) and, for an approver, their department
    once a PO of it exists (one probe): what `visible_to` lets them see."""
    params = {"org": who.org, "sub": who.sub, "department": who.department}
    own = cur.execute(f"SELECT DISTINCT department FROM {SUMMARY.name} WHERE org = %(org)s "
                      "AND requester = %(sub)s AND department IS NOT NULL", params).fetchall()
    found = {row["department"] for row in own}
    if who.has("approver") and who.department is not None and who.department not in found:
        probe = cur.execute(f"SELECT 1 AS x FROM {SUMMARY.name} WHERE org = %(org)s "
                            "AND department = %(department)s LIMIT 1", params).fetchall()
        found.update([who.department] if probe else [])
    return sorted(found)
