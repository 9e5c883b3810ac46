"""Open routes about the service itself: health, readiness, problem pages."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, current_app

from app.http.access import open_route
from app.http.behaviour import render_markdown, rows_producing
from app.http.openapi import documented
from app.http.output_schemas import HealthOut, ReadyOut
from app.http.render import JSON, encode
from app.http.security_headers import public_document
from app.schema import release
from app.service.errors import NotFound
from app.service.problem_types import PROBLEM_TYPES
from projections.store import utc_text

bp = Blueprint("meta", __name__)


@bp.get("/healthz")
@open_route
@documented(summary="Liveness, with the release and schema version", tag="service", response=HealthOut,
            problems=("internal-error",))
def healthz() -> Response:
    """The process is up (says nothing about its dependencies); its release
    and the schema version it started on."""
    schema = current_app.extensions["procura"].schema
    return Response(encode({"status": "ok", "release": release(), "schema_version": schema.version}),
                    mimetype=JSON)


@bp.get("/readyz")
@open_route
@documented(summary="Readiness: the database answers, and the server is not shutting down", tag="service",
            response=ReadyOut, problems=("dependency-unavailable", "shutting-down", "internal-error"))
def readyz() -> Response:
    """The event store answers (503 dependency-unavailable when it does not),
    and how current the read models are: stale ones (no worker runs them)
    are reported, not refused, since the API serves commands without them."""
    services = current_app.extensions["procura"]
    services.check_database()
    return Response(encode({"status": "ready", "read_models": read_models_state(services)}), mimetype=JSON)


def read_models_state(services) -> dict:
    """Each processor's distance from the store's head, and which ones have
    not moved for `read_model_stale_seconds` while behind."""
    head = services.event_store.head_position()
    rows = services.read_store.positions().values()
    stale_before = utc_text(datetime.now(UTC) - timedelta(seconds=services.settings.read_model_stale_seconds))
    behind = [row for row in rows if int(row["position"]) < head]
    stale = sorted(row["name"] for row in behind if str(row["updated_at"]) < stale_before)
    return {"state": "stale" if stale else "behind" if behind else "current",
            "behind_events": max((head - int(row["position"]) for row in behind), default=0), "stale": stale}


def _producing_rows(slug: str) -> str:
    """Links to the behaviour-catalogue rows (docs/integrators/behaviour.md) that answer with `slug`."""
    rows = rows_producing(slug)
    if not rows:
        return ""
    items = "".join(
        f"<li><a href='/docs/behaviour.md#{row.anchor}'>{row.command} on a {row.status} PO</a>"
        f" by {html.escape(row.caller)}</li>"
        for row in rows
    )
    return f"<h2>When Procura answers this</h2><ul>{items}</ul>"


@bp.get("/problems/<slug>")
@open_route
@public_document
@documented(summary="A problem type explained for humans (HTML)", tag="service",
            problems=("not-found", "internal-error"), media_types=("text/html",),
            path_values={"slug": tuple(PROBLEM_TYPES)})
def problem_page(slug: str) -> Response:
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise NotFound("problem type")
    page = (
        # The empty icon spares the browser a request for /favicon.ico (a 404).
        "<!doctype html><html><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
        f"<title>{html.escape(kind.title)}</title></head>"
        f"<body><h1>{html.escape(kind.title)}</h1>"
        f"<p><strong>HTTP {kind.status}</strong>, <code>next_action: {kind.next_action}</code></p>"
        f"<p>{html.escape(kind.explanation)}</p>{_producing_rows(slug)}</body></html>"
    )
    return Response(page, mimetype="text/html")


@bp.get("/docs/behaviour.md")
@open_route
@public_document
@documented(summary="The behaviour catalogue (Markdown)", tag="service", problems=("internal-error",),
            media_types=("text/markdown",))
def behaviour_catalogue() -> Response:
    """The behaviour catalogue (also committed as docs/integrators/behaviour.md)."""
    return Response(render_markdown() + "\n", mimetype="text/markdown")
