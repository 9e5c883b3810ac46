"""Support routes: `GET /trace` (everything written under one id) for
auditors and admins, and `GET /purchase-orders/{id}/timeline` (one PO's
story) for whoever may read the PO. They read the event store, the command
records and the placement outbox on the primary, never the read models."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, Response, current_app

from app.http import step_cursors
from app.http.access import bearer_required, caller
from app.http.fair_share import expensive_read
from app.http.openapi import AUTHENTICATED, documented
from app.http.output_schemas import TimelineOut, TraceOut
from app.http.problems import Problem
from app.http.read_schemas import TimelineQuery, TraceQuery
from app.http.render import JSON, encode
from app.http.requests import query_args
from app.service.command_service import _dependency
from app.tools import support

bp = Blueprint("support", __name__)

TRACE_READERS = frozenset({"admin", "auditor"})
_TRACE, _TIMELINE, _TIMELINE_QUERY = TraceOut(), TimelineOut(), TimelineQuery()


@bp.get("/trace")
@bearer_required
@documented(summary="Every event and command record of your org written under one id", tag="support",
            query=TraceQuery, response=TraceOut, problems=(*AUTHENTICATED, "validation-error", "forbidden", "too-many-concurrent"))
@expensive_read
def trace() -> Response:
    """For auditors and admins: the events whose request, correlation,
    command or causation id (or PO or operation id) is `id`, in global order,
    and the command records whose Idempotency-Key is `id`, of the caller's
    org only. A full scan of the event store: a support tool, not a hot path."""
    args, who = query_args(TraceQuery()), caller()
    if not who.roles & TRACE_READERS:
        raise Problem("forbidden", "Tracing is for auditors and admins.", {"required": sorted(TRACE_READERS)})
    with _dependency("database"):
        document = support.trace(current_app.extensions["procura"].app, who.org, args["id"])
    return Response(encode(_TRACE.dump(document)), status=200, mimetype=JSON)


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
    with _dependency("database"):
        document, following = support.timeline(services.app, services.read_store, who.org, po, args["limit"], bound)
    document["next_cursor"] = None if following is None else step_cursors.timeline_cursor(following, po.id)
    return Response(encode(_TIMELINE.dump(document)), status=200, mimetype=JSON,
                    headers={"ETag": f'"{po.version}"'})
