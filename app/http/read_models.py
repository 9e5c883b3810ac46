"""Read-model routes (docs/integrators/api.md section 8): lists, the approval queue,
reports and projection status, answered from the projections.

They read from a healthy replica when `PROCURA_READ_DATABASE_URL` names any,
else from the primary. Every answer carries `Projection-Position`: the
position of the read model the rows were read at (read in the same snapshot
as the rows, on the store that answered). With
`min_position=N` the view first waits up to 2 s for the read model to reach
N, then answers 503 `projection-behind`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema

from aggregates.policy import ActionsFor, Principal
from aggregates.transitions import REMARKS
from app.http import cursors
from app.http.access import bearer_required, caller
from app.http.fair_share import callers_share, expensive_read
from app.http.openapi import AUTHENTICATED, documented
from app.http.problems import Problem
from app.http.read_schemas import (
    ApprovalQueueQuery,
    ChoicesOut,
    ChoicesQuery,
    CycleTimesOut,
    CycleTimesQuery,
    OrderPageOut,
    ProjectionsOut,
    ProjectionsQuery,
    PurchaseOrderListQuery,
    QueuePageOut,
    SpendOut,
    SpendQuery,
)
from app.http.render import JSON, encode
from app.http.requests import query_args
from app.http.schemas import storable_text
from app.service.errors import lost_connection_as_unavailable
from app.service.metadata import rfc3339
from projections import approval_queue as queue_model
from projections import cycle_times, po_search, po_summary, spend
from projections.keyset import page
from projections.maintenance import statuses
from projections.runner import wait_for
from projections.store import Cursor, ReadStore
from projections.tables import ReadModel, format_cents

bp = Blueprint("read_models", __name__)

FRESHNESS_WAIT_SECONDS = 2.0
REPORT_READERS = frozenset({"analyst", "auditor", "admin"})
_READ_PROBLEMS = (*AUTHENTICATED, "validation-error", "projection-behind", "too-many-concurrent")
T = TypeVar("T")
#: Built once: building a schema deep-copies its fields, and marshmallow 4
#: keeps no per-load state on an instance, so threads may share it.
_LIST_QUERY = PurchaseOrderListQuery()


def _services():
    return current_app.extensions["procura"]


# --- query parameters ----------------------------------------------------------


# --- freshness -----------------------------------------------------------------


def _position(cur: Cursor, names: list[str]) -> int:
    params = {f"n{i}": n for i, n in enumerate(names)}
    rows = cur.execute(f"SELECT position FROM procura_tracking WHERE name IN ({', '.join(f'%({k})s' for k in params)})",
                       params).fetchall()
    return min((int(r["position"]) for r in rows), default=0)


def read_fresh(names: list[str], min_position: int | None, query: Callable[[Cursor], T]) -> tuple[T, int]:
    """`query`'s result and the read models' position, once they have reached
    `min_position` (Problem 'projection-behind' after waiting 2 s), from a
    replica when one is healthy (see app.persistence.replicas), else from the
    primary; the position is that of the store that answered."""
    deadline = time.monotonic() + FRESHNESS_WAIT_SECONDS
    with lost_connection_as_unavailable("database"):
        return _services().reads.read(lambda store: _read_at(store, names, min_position, deadline, query))


def _read_at(store: ReadStore, names: list[str], min_position: int | None, deadline: float,
             query: Callable[[Cursor], T]) -> tuple[T, int]:
    _await(store, names, min_position, deadline)
    with store.snapshot() as cur:
        position = _position(cur, names)
        return query(cur), position


def _await(store: ReadStore, names: list[str], min_position: int | None, deadline: float) -> None:
    """Return once the read models `names` on `store` have reached
    `min_position` (at once without one, or when they already have);
    Problem 'projection-behind' at `deadline`. A position beyond the store's
    head is refused at once, and waiting counts as one of the caller's
    expensive reads (app.http.fair_share)."""
    if min_position is None or wait_for(store, names, min_position, 0.0):
        return
    _refuse_beyond_head(min_position)
    with callers_share():
        reached = wait_for(store, names, min_position, max(0.0, deadline - time.monotonic()))
    if not reached:
        with store.snapshot() as cur:
            position = _position(cur, names)
        raise Problem("projection-behind",
                      f"The read model is at position {position}, not yet at {min_position}.",
                      {"position": position, "min_position": min_position}, headers={"Retry-After": "1"})


def _refuse_beyond_head(min_position: int) -> None:
    """422 on /min_position when no event has that position yet: waiting
    could never make it visible. The head is the primary's (replicas follow it)."""
    head = _services().event_store.head_position()
    if min_position > head:
        raise Problem("validation-error", "Some query parameters are invalid.", {"errors": [
            {"pointer": "/min_position", "detail": f"beyond the event store's head ({head}): no event has "
             "that position yet; pass an Event-Position or Projection-Position you were given",
             "code": "beyond-head"}]})


def read_fresh_page(names: list[str], min_position: int | None, statement: tuple[str, dict[str, Any]],
                    order_by: str) -> tuple[list[tuple], int]:
    """As `read_fresh`, for one page query (`statement`, ordered by
    `order_by` over columns qualified `s.`): the rows and the read models'
    position come from one statement (`ReadStore.page_at_position`), one
    round trip instead of a transaction's five."""
    deadline = time.monotonic() + FRESHNESS_WAIT_SECONDS

    def page_at(store: ReadStore) -> tuple[list[tuple], int]:
        _await(store, names, min_position, deadline)
        return store.page_at_position(names, *statement, order_by)

    with lost_connection_as_unavailable("database"):
        return _services().reads.read(page_at)


def _answer(document: Any, position: int, schema: Schema | None = None) -> Response:
    body = encode(schema.dump(document) if schema is not None else document)
    return Response(body, mimetype=JSON, headers={"Projection-Position": str(position)})


# --- cursors -------------------------------------------------------------------


def _scope(args: dict[str, Any]) -> str:
    """A short digest of the filters and sort a cursor belongs to."""
    kept = {k: v for k, v in sorted(args.items()) if k not in ("cursor", "limit", "min_position")}
    return hashlib.sha256(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()[:16]


def encode_cursor(key: tuple[Any, str], scope: str) -> str:
    return cursors.pack({"k": key[0], "i": key[1], "f": scope})


def _storable(value: Any) -> bool:
    """A cursor value the read models' columns can be compared with: a 64-bit
    integer, or short text PostgreSQL can hold (anyone can build a cursor)."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, str) and len(value) <= 1000 and storable_text(value)


def decode_cursor(text: str | None, scope: str, value_type: type) -> tuple[Any, str] | None:
    """The key a cursor continues after; 422 on /cursor if it is not one of
    ours or belongs to other filters or another sort."""
    if text is None:
        return None
    data = cursors.unpack(text) or {}
    key, last_id, cursor_scope = data.get("k"), data.get("i"), data.get("f")
    valid = (isinstance(key, value_type) and not isinstance(key, bool) and isinstance(last_id, str)
             and cursor_scope == scope and _storable(key) and _storable(last_id))
    if not valid:
        raise cursors.refused("/cursor", "not a cursor of this list with these filters and sort; "
                              "start again without it")
    return key, last_id


# --- documents -----------------------------------------------------------------


def api_time(text: str | None) -> str | None:
    """Stored UTC text as the API writes times (as GET /purchase-orders/{id} does)."""
    if text is None:
        return None
    # The stored form (`utc_text`, fixed width) is already RFC 3339 but for
    # a zero fraction, which the API omits (datetime.isoformat): cut, not
    # parsed, since a list page formats a hundred of them.
    if len(text) == 27 and text[19] == "." and text[26] == "Z":
        return text[:19] + "Z" if text[20:26] == "000000" else text
    return rfc3339(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC))


class _Facts:
    """A summary row's facts as the policy's OrderFacts (the total is worked
    out only if the rules ask for it: for callers with an approval limit)."""

    __slots__ = ("org", "requester", "department", "status", "_cents")

    def __init__(self, org: str, requester: str, department: str | None, status: str, cents: int):
        self.org, self.requester, self.department, self.status, self._cents = org, requester, department, status, cents

    @property
    def total(self) -> Decimal:
        return Decimal(int(self._cents)).scaleb(-2)


#: A summary row as `po_summary.page_statement` selects it (po_summary.LISTED).
_LISTED = {column: index for index, column in enumerate(po_summary.LISTED)}


def summary_item(row: tuple, actions: ActionsFor) -> dict[str, Any]:
    """A list item from a row of po_summary.LISTED columns: the PO
    document's fields but its lines, exactly as OrderSummaryOut dumps them
    (keys in its order; built by hand: dumping a page through marshmallow was
    a third of a list request's time), `actions` deciding its allowed
    actions for the caller."""
    (po_id, org, title, status, cents, currency, supplier_id, department, requester, needed_by, version, created_at,
     updated_at, remarks, rejection_reason, cancellation_reason, supplier_reference, tracking_number,
     operation_id) = row
    stored = po_summary.stored_remarks(remarks, rejection_reason, cancellation_reason)
    return {"id": po_id, "org": org, "title": title, "status": status, "total": format_cents(cents),
            "currency": currency, "supplier_id": supplier_id, "department": department, "requester": requester,
            "needed_by": needed_by, "version": version, "created_at": api_time(created_at),
            "updated_at": api_time(updated_at), **{name: stored.get(name) for name in REMARKS},
            "supplier_reference": supplier_reference, "tracking_number": tracking_number,
            "operation_id": operation_id,
            "allowed_actions": actions(_Facts(org, requester, department, status, cents))}


def queue_item(row: dict[str, Any]) -> dict[str, Any]:
    item = {k: row[k] for k in ("id", "org", "title", "status", "currency", "supplier_id", "department",
                                "requester", "needed_by", "version")}
    item.update(total=format_cents(row["total_cents"]), created_at=api_time(row["created_at"]),
                submitted_at=api_time(row["submitted_at"]))
    return item


def _require_report_reader(who: Principal) -> None:
    if not who.roles & REPORT_READERS:
        raise Problem("forbidden", "Reports and projection status are for analysts, auditors and admins.",
                      {"required": sorted(REPORT_READERS)})


# --- routes --------------------------------------------------------------------


@bp.get("/purchase-orders")
@bearer_required
@documented(summary="List the purchase orders you may see (read model)", tag="read models",
            query=PurchaseOrderListQuery, response=OrderPageOut, problems=_READ_PROBLEMS,
            response_headers=("Projection-Position",))
def list_purchase_orders() -> Response:
    """Filtered, sorted, keyset-paginated; same visibility as reading one PO."""
    args, who = query_args(_LIST_QUERY), caller()
    scope = _scope(args)
    after = decode_cursor(args.get("cursor"), scope, int if args["sort"].endswith("total") else str)
    filters = po_summary.Filters(
        statuses=tuple(dict.fromkeys(args.get("status", ()))), department=args.get("department"),
        supplier_id=args.get("supplier_id"), requester=args.get("requester"),
        created_from=args.get("created_from"), created_before=args.get("created_to"),
        min_cents=args.get("min_total"), max_cents=args.get("max_total"), terms=tuple(po_search.words(args.get("q"))))
    sort, limit = args["sort"], args["limit"]
    # A search reads both models: its position (and min_position's wait) is the lower of the two.
    names = [po_summary.PurchaseOrderSummary.name, *([po_search.PurchaseOrderSearch.name] if filters.terms else [])]
    statement = po_summary.page_statement(who, filters, sort, limit, after, dialect=_services().read_store.dialect)
    fetched, position = read_fresh_page(names, args.get("min_position"), statement, po_summary.SORTS[sort].by("s."))
    rows, key = page(fetched, limit, _LISTED[po_summary.SORTS[sort].column], _LISTED["id"])
    actions = ActionsFor(who)
    document = {"items": [summary_item(r, actions) for r in rows],
                "next_cursor": encode_cursor(key, scope) if key else None}
    return _answer(document, position)  # the document is OrderPageOut's already (tests hold it)


@bp.get("/purchase-orders/choices")
@bearer_required
@documented(summary="Pick lists for the list's filters: departments (read model) and suppliers", tag="read models",
            query=ChoicesQuery, response=ChoicesOut, problems=_READ_PROBLEMS, response_headers=("Projection-Position",))
def purchase_order_choices() -> Response:
    """The departments of the POs you may see (at most 200, in order) and the configured suppliers."""
    args, who = query_args(ChoicesQuery()), caller()
    (found, truncated), position = read_fresh([po_summary.PurchaseOrderSummary.name], args.get("min_position"),
                                              lambda cur: po_summary.departments(cur, who))
    document = {"departments": found, "suppliers": sorted(_services().settings.suppliers), "truncated": truncated}
    return _answer(document, position, ChoicesOut())


@bp.get("/approvals/queue")
@bearer_required
@documented(summary="Submitted purchase orders you may approve, oldest first", tag="read models",
            query=ApprovalQueueQuery, response=QueuePageOut, problems=(*_READ_PROBLEMS, "forbidden"),
            response_headers=("Projection-Position",))
def approvals_queue() -> Response:
    """For approvers (their department, up to their limit, never their own) and admins."""
    args, who = query_args(ApprovalQueueQuery()), caller()
    if not queue_model.may_approve_anything(who):
        raise Problem("forbidden", "Only approvers and admins have an approval queue.",
                      {"required": ["admin", "approver"]})
    scope = _scope(args)
    after = decode_cursor(args.get("cursor"), scope, str)
    (rows, key), position = read_fresh(
        [queue_model.ApprovalQueue.name], args.get("min_position"),
        lambda cur: queue_model.approval_queue(cur, who, args["limit"], after))
    document = {"items": [queue_item(r) for r in rows], "next_cursor": encode_cursor(key, scope) if key else None}
    return _answer(document, position, QueuePageOut())


@bp.get("/reports/spend")
@bearer_required
@documented(summary="Approved and placed totals per group and currency", tag="reports",
            query=SpendQuery, response=SpendOut, problems=(*_READ_PROBLEMS, "forbidden"),
            response_headers=("Projection-Position",))
@expensive_read
def spend_report() -> Response:
    """Analysts, auditors and admins; money as decimal strings per currency.
    The same rows as CSV: GET /reports/spend.csv (`Accept: text/csv` here also
    answers CSV, for callers that ask that way)."""
    args = query_args(SpendQuery())
    groups, position = _spend_groups(args)
    if request.accept_mimetypes.best_match([JSON, "text/csv"], default=JSON) == "text/csv":
        return _csv(args["group_by"], groups, position)
    return _answer({"group_by": args["group_by"], "groups": groups}, position, SpendOut())


@bp.get("/reports/spend.csv")
@bearer_required
@documented(summary="The spend report as CSV, a header row first", tag="reports",
            query=SpendQuery, problems=(*_READ_PROBLEMS, "forbidden"),
            response_headers=("Projection-Position",), media_types=("text/csv",))
@expensive_read
def spend_report_csv() -> Response:
    """The rows of GET /reports/spend as a CSV file (RFC 4180): the group,
    currency, approved_total, approved_count, placed_total, placed_count."""
    args = query_args(SpendQuery())
    groups, position = _spend_groups(args)
    return _csv(args["group_by"], groups, position)


def _spend_groups(args: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    who = caller()
    _require_report_reader(who)
    rows, position = read_fresh([spend.Spend.name], args.get("min_position"),
                                lambda cur: spend.spend_report(cur, who.org, args["group_by"],
                                                               args.get("since"), args.get("before"),
                                                               args.get("department"), args.get("supplier_id")))
    groups = [{"group": r.group, "currency": r.currency, "approved_total": format_cents(r.approved_cents),
               "approved_count": r.approved_count, "placed_total": format_cents(r.placed_cents),
               "placed_count": r.placed_count} for r in rows]
    return groups, position


#: What makes a spreadsheet read a cell as a formula (OWASP, CSV injection),
#: and their full-width forms: a quote too many costs nothing.
_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")


def _invisible(char: str) -> bool:
    """Whitespace, separators, control and format characters (Z*, Cc, Cf: NBSP,
    U+3000, zero-width spaces and joiners, BOM): a spreadsheet may skip them before `=`."""
    return char.isspace() or unicodedata.category(char) in ("Zs", "Zl", "Zp", "Cc", "Cf")


def formula_safe(value: str) -> str:
    """`value` with a `'` before it when a spreadsheet could take it for a
    formula: it starts with tab or CR, or with `= + - @` once leading
    invisible characters are skipped (OWASP's guidance for CSV injection)."""
    start = next((char for char in value if not _invisible(char)), "")
    if value[:1] in ("\t", "\r") or start in _FORMULA_STARTS:
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    """A CSV cell: text neutralised against formulas (CSV injection)."""
    if isinstance(value, str):
        return formula_safe(value)
    return "" if value is None else value


def _csv(group_by: str, groups: list[dict[str, Any]], position: int) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([group_by, "currency", "approved_total", "approved_count", "placed_total", "placed_count"])
    for g in groups:
        writer.writerow([_cell(g["group"]), g["currency"], g["approved_total"], g["approved_count"],
                         g["placed_total"], g["placed_count"]])
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Projection-Position": str(position), "Content-Disposition": f'attachment; filename="spend-{group_by}.csv"'})


def _hours(micros: int | None) -> float | None:
    return None if micros is None else round(micros / 3_600_000_000, 3)


@bp.get("/reports/cycle-times")
@bearer_required
@documented(summary="Hours from the last submission to approval or rejection: count, p50, p90, max, histogram",
            tag="reports", query=CycleTimesQuery, response=CycleTimesOut, problems=(*_READ_PROBLEMS, "forbidden"),
            response_headers=("Projection-Position",))
@expensive_read
def cycle_times_report() -> Response:
    """Nearest-rank percentiles over decisions made in the period."""
    args, who = query_args(CycleTimesQuery()), caller()
    _require_report_reader(who)
    selection = (who.org, args.get("department"), args.get("since"), args.get("before"))
    (stats, counts), position = read_fresh(
        [cycle_times.CycleTimes.name], args.get("min_position"),
        lambda cur: (cycle_times.cycle_stats(cur, *selection), cycle_times.cycle_histogram(cur, *selection)))
    bounds = [*cycle_times.BUCKET_BOUNDS_HOURS, None]
    document = {"count": stats.count, "p50_hours": _hours(stats.p50_us), "p90_hours": _hours(stats.p90_us),
                "max_hours": _hours(stats.max_us), "percentile_method": "nearest-rank",
                "histogram": [{"le_hours": le, "count": n} for le, n in zip(bounds, counts, strict=True)]}
    return _answer(document, position, CycleTimesOut())


@bp.get("/projections")
@bearer_required
@documented(summary="Each read model's position, the store's head, lag and last update", tag="read models",
            query=ProjectionsQuery, response=ProjectionsOut, problems=(*AUTHENTICATED, "validation-error",
                                                                        "forbidden"),
            response_headers=("Projection-Position",))
def projections_status() -> Response:
    """For analysts, auditors and admins."""
    query_args(ProjectionsQuery())
    _require_report_reader(caller())
    services = _services()
    models = [p for p in services.processors if isinstance(p, ReadModel)]
    with lost_connection_as_unavailable("database"):
        store_head = services.event_store.head_position()  # the primary's: the replicas follow it
        found = services.reads.read(lambda store: statuses(store_head, store.positions(), models))
    head = max((s.head for s in found), default=0)
    document = {"head": head, "projections": [
        {"name": s.name, "position": s.position, "head": s.head, "lag": s.lag, "updated_at": api_time(s.updated_at)}
        for s in found]}
    return _answer(document, min((s.position for s in found), default=0), ProjectionsOut())
