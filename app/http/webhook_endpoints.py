"""Webhook endpoints (docs/integrators/webhooks.md): an org's admins register where its
public events are sent, read and change them, and rotate their secrets."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from flask import Blueprint, Response, current_app

from aggregates.policy import Principal
from app.http import cursors
from app.http.access import bearer_required, caller
from app.http.openapi import AUTHENTICATED, documented
from app.http.problems import Problem
from app.http.render import JSON
from app.http.requests import json_body, query_args, validated
from app.http.webhook_schemas import (
    CURSOR_INVALID,
    DeliveryListQuery,
    DeliveryOut,
    DeliveryPageOut,
    DeliveryWithAttemptsOut,
    EndpointChanges,
    EndpointIn,
    EndpointListQuery,
    EndpointOut,
    EndpointPageOut,
    EndpointWithSecretOut,
    ReplayIn,
    ReplayOut,
)
from app.service.errors import lost_connection_as_unavailable
from app.webhooks import tools
from app.webhooks.endpoints import Endpoint, wall_clock
from app.webhooks.guard import UrlRefused, check_url

bp = Blueprint("webhook_endpoints", __name__)

MANAGERS = frozenset({"admin"})
#: What every route here may answer besides its own.
PROBLEMS = (*AUTHENTICATED, "forbidden")
WRITES = (*PROBLEMS, "malformed-request", "payload-too-large", "unsupported-media-type", "validation-error")
_SCOPE, _DELIVERY_SCOPE = "webhook-endpoints", "webhook-deliveries"


def _webhooks():
    return current_app.extensions["procura"].webhooks


def _admin() -> Principal:
    who = caller()
    if not who.roles & MANAGERS:
        raise Problem("forbidden", "Webhook endpoints are managed by the org's admins.",
                      {"required": sorted(MANAGERS)})
    return who


def _answer(document: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(document), status=status, mimetype=JSON, headers=headers)


def _checked_url(data: dict[str, Any]) -> None:
    """422 at /url when the URL may not receive webhooks (docs/integrators/webhooks.md)."""
    if "url" not in data:
        return
    webhooks = _webhooks()
    try:
        check_url(data["url"], webhooks.tuning.allow_hosts, webhooks.resolve)
    except UrlRefused as refused:
        raise Problem("validation-error", "Some fields are invalid.", {"errors": [
            {"pointer": "/url", "detail": refused.detail, "code": refused.code}]}) from None


def _found(who: Principal, endpoint_id: UUID) -> Endpoint:
    with lost_connection_as_unavailable("database"):
        endpoint = _webhooks().endpoints.get(who.org, str(endpoint_id))
    if endpoint is None:
        raise Problem("not-found", "There is no such webhook endpoint in your org.")
    return endpoint


@bp.post("/webhook-endpoints")
@bearer_required
@documented(summary="Register a webhook endpoint (its secret is shown in this answer only)", tag="webhooks",
            success=201, body=EndpointIn, response=EndpointWithSecretOut, problems=WRITES,
            response_headers=("Location",), gives={"endpoint_id": "$response.body#/id"})
def create() -> Response:
    """For the org's admins. The URL must pass the address rules (docs/integrators/webhooks.md)."""
    who = _admin()
    data = validated(EndpointIn(), json_body(required=True))
    _checked_url(data)
    services = current_app.extensions["procura"]
    with lost_connection_as_unavailable("database"):
        endpoint = services.webhooks.endpoints.create(who.org, after_position=services.event_store.head_position(), **data)
    return _answer({**endpoint.document(), "secret": endpoint.secret}, 201,
                   {"Location": f"/webhook-endpoints/{endpoint.id}"})


@bp.get("/webhook-endpoints")
@bearer_required
@documented(summary="Your org's webhook endpoints, oldest first", tag="webhooks", query=EndpointListQuery,
            response=EndpointPageOut, problems=PROBLEMS)
def index() -> Response:
    who, args = _admin(), query_args(EndpointListQuery())
    after = None
    if "cursor" in args:
        data = cursors.unpack(args["cursor"]) or {}
        if data.get("f") != _SCOPE or not isinstance(data.get("k"), str) or not isinstance(data.get("i"), str):
            raise cursors.refused("/cursor", CURSOR_INVALID)
        after = (data["k"], data["i"])
    with lost_connection_as_unavailable("database"):
        found = _webhooks().endpoints.page(who.org, after, args["limit"])
    page = found[:args["limit"]]
    more = len(found) > args["limit"]
    cursor = cursors.pack({"k": page[-1].created_at, "i": page[-1].id, "f": _SCOPE}) if more else None
    return _answer({"items": [e.document() for e in page], "next_cursor": cursor})


@bp.get("/webhook-endpoints/<uuid:endpoint_id>")
@bearer_required
@documented(summary="One webhook endpoint", tag="webhooks", response=EndpointOut, problems=(*PROBLEMS, "not-found"))
def read(endpoint_id: UUID) -> Response:
    return _answer(_found(_admin(), endpoint_id).document())


@bp.patch("/webhook-endpoints/<uuid:endpoint_id>")
@bearer_required
@documented(summary="Change a webhook endpoint's URL, types, description or whether it is enabled",
            tag="webhooks", body=EndpointChanges, response=EndpointOut, problems=(*WRITES, "not-found"))
def change(endpoint_id: UUID) -> Response:
    """The members sent change; enabling a disabled endpoint resumes its pending deliveries."""
    who = _admin()
    _found(who, endpoint_id)
    data = validated(EndpointChanges(), json_body(required=True))
    _checked_url(data)
    with lost_connection_as_unavailable("database"):
        endpoint = _webhooks().endpoints.update(who.org, str(endpoint_id), data)
    if endpoint is None:
        raise Problem("not-found", "There is no such webhook endpoint in your org.")
    return _answer(endpoint.document())


@bp.delete("/webhook-endpoints/<uuid:endpoint_id>")
@bearer_required
@documented(summary="Delete a webhook endpoint with its deliveries", tag="webhooks", success=204,
            problems=(*PROBLEMS, "not-found"))
def delete(endpoint_id: UUID) -> Response:
    who = _admin()
    with lost_connection_as_unavailable("database"):
        deleted = _webhooks().endpoints.delete(who.org, str(endpoint_id))
    if not deleted:
        raise Problem("not-found", "There is no such webhook endpoint in your org.")
    return Response(status=204)


@bp.post("/webhook-endpoints/<uuid:endpoint_id>/rotate-secret")
@bearer_required
@documented(summary="A new signing secret, shown in this answer only; the old one also signs for 24 h",
            tag="webhooks", response=EndpointWithSecretOut, problems=(*PROBLEMS, "not-found"))
def rotate_secret(endpoint_id: UUID) -> Response:
    who = _admin()
    with lost_connection_as_unavailable("database"):
        endpoint = _webhooks().endpoints.rotate(who.org, str(endpoint_id))
    if endpoint is None:
        raise Problem("not-found", "There is no such webhook endpoint in your org.")
    return _answer({**endpoint.document(), "secret": endpoint.secret})


# --- deliveries -------------------------------------------------------------------


def _delivery_cursor(text: str | None) -> int | None:
    if text is None:
        return None
    data = cursors.unpack(text) or {}
    position = data.get("k")
    if not (type(position) is int and 0 <= position < 2**63 and data.get("f") == _DELIVERY_SCOPE):
        raise cursors.refused("/cursor", CURSOR_INVALID)
    return position


@bp.get("/webhook-endpoints/<uuid:endpoint_id>/deliveries")
@bearer_required
@documented(summary="An endpoint's deliveries, newest first, filtered by status and type", tag="webhooks",
            query=DeliveryListQuery, response=DeliveryPageOut, problems=(*PROBLEMS, "not-found"))
def deliveries(endpoint_id: UUID) -> Response:
    who, args = _admin(), query_args(DeliveryListQuery())
    endpoint = _found(who, endpoint_id)
    before = _delivery_cursor(args.get("cursor"))
    with lost_connection_as_unavailable("database"):
        found = tools.page(_webhooks().store, endpoint.id, states=args.get("status", ()),
                           types=args.get("type", ()), before=before, limit=args["limit"])
    shown = found[:args["limit"]]
    more = len(found) > args["limit"]
    cursor = cursors.pack({"k": int(shown[-1].position), "f": _DELIVERY_SCOPE}) if more else None
    return _answer({"items": [d.document() for d in shown], "next_cursor": cursor})


def _delivery(endpoint: Endpoint, webhook_id: str):
    with lost_connection_as_unavailable("database"):
        found = tools.one(_webhooks().store, endpoint.id, webhook_id)
    if found is None:
        raise Problem("not-found", "This endpoint has no such delivery.")
    return found


@bp.get("/webhook-endpoints/<uuid:endpoint_id>/deliveries/<delivery_id>")
@bearer_required
@documented(summary="One delivery with every attempt", tag="webhooks", response=DeliveryWithAttemptsOut,
            problems=(*PROBLEMS, "not-found"))
def delivery(endpoint_id: UUID, delivery_id: str) -> Response:
    found = _delivery(_found(_admin(), endpoint_id), delivery_id)
    with lost_connection_as_unavailable("database"):
        attempts = _webhooks().deliveries.attempts(found.webhook_id)
    return _answer({**found.document(), "attempt_log": attempts})


@bp.post("/webhook-endpoints/<uuid:endpoint_id>/deliveries/<delivery_id>/redeliver")
@bearer_required
@documented(summary="Send a delivery again (same webhook-id, a fresh retry schedule)", tag="webhooks",
            success=202, response=DeliveryOut, problems=(*PROBLEMS, "not-found"))
def redeliver(endpoint_id: UUID, delivery_id: str) -> Response:
    """Pending again and due at once; sent when the endpoint is enabled."""
    endpoint = _found(_admin(), endpoint_id)
    _delivery(endpoint, delivery_id)
    with lost_connection_as_unavailable("database"):
        found = tools.redeliver(_webhooks().store, endpoint.id, delivery_id, wall_clock())
    return _answer(found.document(), 202)


@bp.post("/webhook-endpoints/<uuid:endpoint_id>/replay")
@bearer_required
@documented(summary="Send the endpoint's matching events since a time or a position again", tag="webhooks",
            success=202, body=ReplayIn, response=ReplayOut, problems=(*WRITES, "not-found"))
def replay(endpoint_id: UUID) -> Response:
    """Every matching event of the org after `since` (a position) or from `since` (a time) is queued:
    new deliveries for events it never had, the others pending again, all with their webhook-ids;
    at most 10,000 per call (`more`: call again with `since` = `until_position`)."""
    who = _admin()
    endpoint = _found(who, endpoint_id)
    since = validated(ReplayIn(), json_body(required=True))["since"]
    store = _webhooks().store
    with lost_connection_as_unavailable("database"):
        after = since if isinstance(since, int) else tools.position_at(store, who.org, since)
        queued, last, more = tools.replay(store, endpoint, after, wall_clock())
    return _answer({"queued": queued, "until_position": last, "more": more}, 202)
