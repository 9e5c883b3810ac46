"""Webhook endpoints (docs/webhooks.md): an org's admins register where its
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
    EndpointChanges,
    EndpointIn,
    EndpointListQuery,
    EndpointOut,
    EndpointPageOut,
    EndpointWithSecretOut,
)
from app.service.command_service import _dependency
from app.webhooks.endpoints import Endpoint
from app.webhooks.guard import UrlRefused, check_url

bp = Blueprint("webhook_endpoints", __name__)

MANAGERS = frozenset({"admin"})
#: What every route here may answer besides its own.
PROBLEMS = (*AUTHENTICATED, "forbidden")
WRITES = (*PROBLEMS, "malformed-request", "payload-too-large", "unsupported-media-type", "validation-error")
_SCOPE = "webhook-endpoints"


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
    """422 at /url when the URL may not receive webhooks (docs/webhooks.md)."""
    if "url" not in data:
        return
    webhooks = _webhooks()
    try:
        check_url(data["url"], webhooks.tuning.allow_hosts, webhooks.resolve)
    except UrlRefused as refused:
        raise Problem("validation-error", "Some fields are invalid.", {"errors": [
            {"pointer": "/url", "detail": refused.detail, "code": refused.code}]}) from None


def _found(who: Principal, endpoint_id: UUID) -> Endpoint:
    with _dependency("database"):
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
    """For the org's admins. The URL must pass the address rules (docs/webhooks.md)."""
    who = _admin()
    data = validated(EndpointIn(), json_body(required=True))
    _checked_url(data)
    services = current_app.extensions["procura"]
    with _dependency("database"):
        endpoint = services.webhooks.endpoints.create(who.org, after_position=services.app.head_position(), **data)
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
    with _dependency("database"):
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
    with _dependency("database"):
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
    with _dependency("database"):
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
    with _dependency("database"):
        endpoint = _webhooks().endpoints.rotate(who.org, str(endpoint_id))
    if endpoint is None:
        raise Problem("not-found", "There is no such webhook endpoint in your org.")
    return _answer({**endpoint.document(), "secret": endpoint.secret})
