"""Purchase-order routes: the commands of docs/integrators/api.md section 2 and the reads of section 4
that come from the event stream."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, Response, current_app, g, request

from aggregates.transitions import CLIENT_COMMANDS, CREATE, DECLARED
from app.http import step_cursors
from app.http.access import bearer_required, caller
from app.http.fair_share import expensive_read
from app.http.openapi import AUTHENTICATED, COMMAND, PO_COMMAND, documented
from app.http.output_schemas import HistoryOut, PlacementOut, PurchaseOrderOut
from app.http.read_schemas import HistoryQuery, VersionQuery
from app.http.render import JSON, HttpRenderer, encode, history_entry, po_document
from app.http.requests import idempotency_key, if_match, json_body, query_args, validated
from app.http.schemas import BODY_SCHEMAS, DraftSchema, body_required, body_schema, intent_arguments, takes_draft
from app.service import support
from app.service.command_service import Command, Reply
from app.service.errors import lost_connection_as_unavailable
from app.service.idempotency import fingerprint

bp = Blueprint("purchase_orders", __name__)
renderer = HttpRenderer()
_HISTORY_QUERY = HistoryQuery()



def _services():
    return current_app.extensions["procura"]


def reply_response(reply: Reply) -> Response:
    # Headers handed over in one list: setting them one by one on a built
    # Response re-validates and re-searches the list each time.
    headers = list(reply.headers.items())
    if reply.event_position is not None:
        headers.append(("Event-Position", str(reply.event_position)))
    if reply.replayed:
        headers.append(("Idempotent-Replayed", "true"))
    return Response(reply.body, status=reply.status, headers=headers)


def _body_schema(action: str, services):
    """The action's body schema, built once per application: building one
    (fields, nested schemas) is costly (docs/developers/performance.md). Loading
    through a shared instance is safe: marshmallow 4 keeps no per-load state
    on it."""
    schemas = current_app.extensions.setdefault("procura_body_schemas", {})
    if action not in schemas:
        schemas[action] = body_schema(DECLARED[action].body, services.settings.suppliers)
    return schemas[action]


def _command(action: str, po_id: UUID | None) -> Response:
    """Parse, answer a retry from its record, else validate and execute.

    A retry is recognised before the body is validated: the fingerprint
    covers the body as sent, and a request whose body failed validation was
    never recorded, so the answers are the same in either order, and retries
    skip the validation's cost.
    """
    services = _services()
    key = idempotency_key()
    kind = DECLARED[action].body
    body = json_body(required=body_required(kind))
    version = if_match() if po_id is not None else None
    sent = fingerprint(method=request.method, route=action, path_params={"id": str(po_id) if po_id else None},
                       body=body, if_match=version)
    who = caller()
    recorded = services.commands.replay(who, key, sent)
    if recorded is not None:
        return reply_response(recorded)
    data = validated(_body_schema(action, services), body)
    command = Command(
        principal=who,
        action=action,
        key=key,
        fingerprint=sent,
        request_id=g.request_id,
        correlation_id=g.correlation_id,
        po_id=po_id,
        if_match=version,
        arguments=intent_arguments(kind, data),
    )
    return reply_response(services.commands.execute(command, renderer, replay_checked=True))


def _draft_schema() -> DraftSchema:
    return DraftSchema(suppliers=_services().settings.suppliers)


@bp.post("/purchase-orders")
@bearer_required
@documented(summary="Create a draft purchase order", tag="commands", success=201, response=PurchaseOrderOut,
            body=_draft_schema, problems=COMMAND, request_headers=("Idempotency-Key",),
            response_headers=("ETag", "Event-Position", "Location", "Idempotent-Replayed"),
            gives={"po_id": "$response.body#/id"})
def create() -> Response:
    return _command(CREATE, None)


def _body_doc(action: str):
    """What OpenAPI shows as the action's body: its schema (the draft's, built
    with the configured suppliers)."""
    kind = DECLARED[action].body
    return _draft_schema if takes_draft(kind) else BODY_SCHEMAS[kind]


def _make_command_view(action: str):
    def view(po_id: UUID) -> Response:
        return _command(action, po_id)

    view.__name__ = action
    view.__doc__ = (f"The `{action}` command (see the transition table in docs/integrators/api.md and "
                    f"docs/integrators/behaviour.md for who may send it from which status).")
    declared = DECLARED[action]
    placing = declared.operation
    document = documented(
        summary=f"{action.replace('_', ' ').capitalize()} a purchase order", tag="commands",
        success=declared.answer, response=PlacementOut if placing else PurchaseOrderOut,
        body=_body_doc(action), body_required=body_required(declared.body), problems=PO_COMMAND,
        request_headers=("Idempotency-Key", "If-Match"),
        response_headers=("ETag", "Event-Position", "Idempotent-Replayed",
                          *(("Location", "Operation-Location") if placing else ())),
        gives={"po_id": "$response.body#/purchase_order_id", "op_id": "$response.body#/id"} if placing
        else {"po_id": "$response.body#/id"},
    )
    return bearer_required(document(view))


for _action in CLIENT_COMMANDS:
    bp.add_url_rule(f"/purchase-orders/<uuid:po_id>/{_action}", endpoint=_action,
                    view_func=_make_command_view(_action), methods=["POST"])


@bp.get("/purchase-orders/<uuid:po_id>")
@bearer_required
@documented(summary="Read a purchase order (?version=N for an earlier version)", tag="purchase orders",
            query=VersionQuery, response=PurchaseOrderOut, problems=(*AUTHENTICATED, "not-found", "validation-error"),
            request_headers=("If-None-Match",), response_headers=("ETag",),
            extra_responses={304: "Not modified: your If-None-Match is the current ETag."})
def read(po_id: UUID) -> Response:
    version = query_args(VersionQuery()).get("version")
    po = _services().commands.purchase_order(caller(), po_id, version)
    etag = f'"{po.version}"'
    if _matches(request.headers.get("If-None-Match"), etag):
        return Response(status=304, headers={"ETag": etag})
    return Response(encode(po_document(po, caller())), status=200, headers={"ETag": etag},
                    mimetype=JSON)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {c.strip().removeprefix("W/") for c in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


@bp.get("/purchase-orders/<uuid:po_id>/history")
@bearer_required
@documented(summary="The purchase order's events, newest first, a page at a time", tag="purchase orders",
            query=HistoryQuery, response=HistoryOut,
            problems=(*AUTHENTICATED, "not-found", "forbidden", "validation-error", "too-many-concurrent"),
            response_headers=("ETag",))
@expensive_read
def history(po_id: UUID) -> Response:
    """For auditors, admins and the PO's requester: at most `limit` events
    (default 50) and 1 MiB a page; `next_cursor` fetches the older ones."""
    args = query_args(_HISTORY_QUERY)
    services = _services()
    po = services.commands.history_reader(caller(), po_id)
    cursor = args.get("cursor")
    start = po.version if cursor is None else step_cursors.history_from(cursor, po.id, po.version)
    with lost_connection_as_unavailable("database"):
        document, following = support.history(services.event_store, po, args["limit"], start, history_entry)
    document["next_cursor"] = None if following is None else step_cursors.history_cursor(following, po.id)
    return Response(encode(document), status=200, mimetype=JSON, headers={"ETag": f'"{po.version}"'})
