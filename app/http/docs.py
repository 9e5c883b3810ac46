"""`/openapi.json` and `/docs`: the contract, generated, and Swagger UI served
from the installed package (no CDN: it works offline)."""

from __future__ import annotations

import json
import os

import swagger_ui
from flask import Blueprint, Response, current_app, send_from_directory

from app.http.access import open_route
from app.http.openapi import build_spec, documented
from app.http.security_headers import public_document

bp = Blueprint("docs", __name__)
SWAGGER_STATIC = os.path.join(os.path.dirname(swagger_ui.__file__), "static")
SPEC_CACHE = "procura.openapi"

# No inline script or style: the page runs under the strict CSP of every page
# (app.http.security_headers), so Swagger UI is started by a script of its own.
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Procura API</title>
<link rel="icon" href="/docs/static/favicon-32x32.png">
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body></html>"""
# validatorUrl null: no badge fetched from validator.swagger.io (offline, and CSP allows only 'self').
INITIALISER = 'window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", validatorUrl: null});\n'


@bp.get("/openapi.json")
@open_route
@public_document
@documented(summary="This OpenAPI 3.1 document", tag="service", problems=("internal-error",),
            response={"type": "object", "description": "an OpenAPI 3.1 document"})
def openapi() -> Response:
    """Built once per process from the registered routes and their schemas."""
    if SPEC_CACHE not in current_app.extensions:
        current_app.extensions[SPEC_CACHE] = json.dumps(build_spec(current_app))
    return Response(current_app.extensions[SPEC_CACHE], mimetype="application/json")


@bp.get("/docs")
@open_route
@public_document
@documented(summary="Interactive API documentation (Swagger UI, offline)", tag="service",
            problems=("internal-error",), media_types=("text/html",))
def docs() -> Response:
    return Response(PAGE, mimetype="text/html")


@bp.get("/docs/init.js")
@open_route
@public_document
@documented(summary="The script that starts Swagger UI on /docs", tag="service", problems=("internal-error",),
            media_types=("text/javascript",))
def initialiser() -> Response:
    return Response(INITIALISER, mimetype="text/javascript")


@bp.get("/docs/static/<path:filename>")
@open_route
@public_document
@documented(summary="Swagger UI's files", tag="service", problems=("not-found", "internal-error"),
            media_types=("text/javascript", "text/css", "text/html", "image/png", "application/octet-stream"),
            path_values={"filename": tuple(os.listdir(SWAGGER_STATIC))})
def static(filename: str) -> Response:
    return send_from_directory(SWAGGER_STATIC, filename)
