"""Support routes: `GET /trace` (everything written under one id) for
auditors and admins. They read the event store and the command records on
the primary, never the read models."""

from __future__ import annotations

from flask import Blueprint, Response, current_app

from app.http.access import bearer_required, caller
from app.http.openapi import AUTHENTICATED, documented
from app.http.output_schemas import TraceOut
from app.http.problems import Problem
from app.http.read_schemas import TraceQuery
from app.http.render import JSON, encode
from app.http.requests import query_args
from app.service.command_service import _dependency
from app.tools import support

bp = Blueprint("support", __name__)

TRACE_READERS = frozenset({"admin", "auditor"})
_TRACE = TraceOut()


@bp.get("/trace")
@bearer_required
@documented(summary="Every event and command record of your org written under one id", tag="support",
            query=TraceQuery, response=TraceOut, problems=(*AUTHENTICATED, "validation-error", "forbidden"))
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
