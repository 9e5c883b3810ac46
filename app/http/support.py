"""Support routes: `GET /trace` (everything written under one id) for
auditors and admins, and `GET /purchase-orders/{id}/timeline` (one PO's
story) for whoever may read the PO. A trace finds its events in the support
index (projections/support_index.py), a read model, and reads them from the
event store by position; the timeline reads the event store, the command
records and the placement outbox on the primary."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, current_app

from app.http import cursors, step_cursors
from app.http.access import bearer_required, caller
from app.http.fair_share import expensive_read
from app.http.openapi import AUTHENTICATED, documented
from app.http.output_schemas import TimelineOut, TraceOut
from app.http.problems import Problem
from app.http.read_models import read_fresh
from app.http.read_schemas import TRACE_CURSOR_INVALID, TimelineQuery, TraceQuery
from app.http.render import JSON, encode
from app.http.requests import query_args
from app.service import support
from app.service.errors import lost_connection_as_unavailable
from projections import support_index

bp = Blueprint("support", __name__)

TRACE_READERS = frozenset({"admin", "auditor"})
_TRACE, _TRACE_QUERY, _TIMELINE, _TIMELINE_QUERY = TraceOut(), TraceQuery(), TimelineOut(), TimelineQuery()


def _trace_scope(value: str) -> str:
    return hashlib.sha256(f"trace:{value}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


def trace_cursor(position: int, value: str) -> str:
    return cursors.pack({"t": position, "f": _trace_scope(value)})


def trace_from(text: str | None, value: str) -> int:
    """The position a trace page continues after (0: the first page); 422 on
    /cursor if `text` is not a cursor of this trace."""
    if text is None:
        return 0
    data: dict[str, Any] = cursors.unpack(text) or {}
    after = data.get("t")
    if (not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63
            or data.get("f") != _trace_scope(value)):
        raise cursors.refused("/cursor", TRACE_CURSOR_INVALID)
    return after


@bp.get("/trace")
@bearer_required
@documented(summary="Every event and command record of your org written under one id, a page at a time",
            tag="support", query=TraceQuery, response=TraceOut,
            problems=(*AUTHENTICATED, "validation-error", "forbidden", "projection-behind", "too-many-concurrent"),
            response_headers=("Projection-Position",))
def trace() -> Response:
    """For auditors and admins: the events of the caller's org written under
    `id` (as its aggregate's, request, correlation, causation or command id)
    or naming it (an operation, a supplier's reference, a tracking number, a
    public event id), in global order, `limit` at a time, found in the
    support index (a read model: `Projection-Position`, `min_position`); and
    on the first page the org's command records whose Idempotency-Key is
    `id` or that name the PO `id`, read from the primary. Bounded by its page,
    like a list: not an expensive read, unless it waits for `min_position`."""
    args, who = query_args(_TRACE_QUERY), caller()
    if not who.roles & TRACE_READERS:
        raise Problem("forbidden", "Tracing is for auditors and admins.", {"required": sorted(TRACE_READERS)})
    value, limit, cursor = args["id"], args["limit"], args.get("cursor")
    after = trace_from(cursor, value)
    statement = support_index.page_statement(who.org, value, after, limit)
    rows, position = read_fresh([support_index.SupportIndex.name], args.get("min_position"),
                                lambda cur: cur.execute(*statement).fetchall())
    found = [int(row["position"]) for row in rows[:limit]]
    app = current_app.extensions["procura"].event_store
    with lost_connection_as_unavailable("database"):
        records, truncated = support.trace_commands(app, who.org, value) if cursor is None else ([], False)
        document = support.trace_document(app, value, support.trace_events(app, found), records, truncated)
    document["next_cursor"] = trace_cursor(found[-1], value) if len(rows) > limit else None
    return Response(encode(_TRACE.dump(document)), status=200, mimetype=JSON,
                    headers={"Projection-Position": str(position)})


@bp.get("/purchase-orders/<uuid:po_id>/timeline")
@bearer_required
@documented(summary="The purchase order's story, newest first, a page at a time: events, refused commands, "
                    "placements", tag="purchase orders", query=TimelineQuery, response=TimelineOut,
            problems=(*AUTHENTICATED, "not-found", "validation-error", "too-many-concurrent"),
            response_headers=("ETag",))
@expensive_read
def timeline(po_id: UUID) -> Response:
    """For whoever may read the PO (others: 404): each event with what it
    changed and the PO after it, each refused command sent to it (they wrote
    no event) with the problem its client got, newest first by time then
    position, and each placement with its attempts. At most `limit` steps
    (default 20) and 1 MiB a page; `next_cursor` fetches the older ones."""
    args = query_args(_TIMELINE_QUERY)
    services = current_app.extensions["procura"]
    who = caller()
    po = services.commands.purchase_order(who, po_id)
    cursor = args.get("cursor")
    bound = support.first_timeline_bound(po) if cursor is None else step_cursors.timeline_from(cursor, po.id,
                                                                                                po.version)
    with lost_connection_as_unavailable("database"):
        document, following = support.timeline(services.event_store, services.read_store, who.org, po, args["limit"], bound)
    document["next_cursor"] = None if following is None else step_cursors.timeline_cursor(following, po.id)
    return Response(encode(_TIMELINE.dump(document)), status=200, mimetype=JSON,
                    headers={"ETag": f'"{po.version}"'})
