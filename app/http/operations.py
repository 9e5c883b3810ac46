"""Operation routes (docs/integrators/api.md section 6): slow work a client can poll."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, Response, current_app

from app.http.access import bearer_required, caller
from app.http.openapi import AUTHENTICATED, documented
from app.http.output_schemas import OperationOut
from app.http.render import JSON, encode, operation_document, retry_after

bp = Blueprint("operations", __name__)


@bp.get("/operations/<uuid:op_id>")
@bearer_required
@documented(summary="Poll an operation", tag="operations", response=OperationOut,
            problems=(*AUTHENTICATED, "not-found"), response_headers=("Retry-After",))
def read(op_id: UUID) -> Response:
    operation = current_app.extensions["procura"].commands.operation(caller(), op_id)
    return Response(encode(operation_document(operation)), status=200, mimetype=JSON,
                    headers=retry_after(operation))
