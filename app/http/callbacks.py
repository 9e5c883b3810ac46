"""Supplier callbacks (docs/integrators/api.md section 7): open routes, authenticated by
their Standard Webhooks signature instead of a bearer token."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from app.http.access import open_route
from app.http.openapi import documented
from app.http.output_schemas import CallbackReceiptOut
from app.http.problems import Problem
from app.http.render import JSON, encode
from app.http.requests import body_bytes
from app.service.errors import lost_connection_as_unavailable
from app.suppliers.port import CallbackHeaderInvalid, CallbackMalformed, CallbackRejected

bp = Blueprint("callbacks", __name__)


@bp.post("/callbacks/suppliers/<supplier_id>")
@open_route
@documented(summary="A supplier's signed callback (Standard Webhooks); for suppliers, not clients",
            tag="callbacks", body_required=False, response=CallbackReceiptOut,
            request_headers=("webhook-id", "webhook-timestamp", "webhook-signature"),
            problems=("callback-unauthenticated", "malformed-request", "payload-too-large",
                      "dependency-unavailable", "internal-error"),
            extra_responses={202: "Recorded, but it names no purchase order Procura knows"})
def receive(supplier_id: str) -> Response:
    service = current_app.extensions["procura"].suppliers.callbacks
    # The signature covers the bytes as sent: read them before anything parses them.
    raw = body_bytes()
    try:
        with lost_connection_as_unavailable("database"):
            receipt = service.receive(supplier_id, raw, dict(request.headers), g.request_id)
    except CallbackRejected as error:
        raise Problem("callback-unauthenticated", str(error)) from error
    except CallbackMalformed as error:
        named = {"header": error.header} if isinstance(error, CallbackHeaderInvalid) else {}
        raise Problem("malformed-request", str(error), named) from error
    return Response(encode({"outcome": receipt.outcome}), status=receipt.status, mimetype=JSON)
