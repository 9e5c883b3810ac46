"""The console: HTML pages for people who would rather look than curl.

Every page is an empty shell rendered here; the figures on it come from
Procura's own JSON API, called from the browser as the person signed in, so
what a page shows is exactly what the API lets them read. They are signed in
either at the identity provider (app/console/oidc.py: a session cookie every
tab shares) or with a bearer token pasted into one tab (its sessionStorage).
The pages themselves hold no data and need no token. The only data this
blueprint serves is who is signed in (to themselves) and the demo users'
tokens, only on the embedded default with its published development secret.
"""

from __future__ import annotations

import math
import os
from typing import Any

from flask import Blueprint, Response, current_app, redirect, render_template, request, send_from_directory
from marshmallow import EXCLUDE, RAISE, Schema, fields, validate

from aggregates.transitions import Status
from app.config import DEV_JWT_SECRET, Settings
from app.console import oidc
from app.http.access import open_route, verified_tokens
from app.http.console_session import CSRF_HEADER, carries_csrf_token, signed_in
from app.http.openapi import documented
from app.http.output_schemas import DemoUsersOut
from app.http.problems import Problem
from app.http.render import JSON, encode
from app.http.requests import query_args
from app.http.schemas import no_nul
from app.http.security_headers import public_document

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
STATIC = os.path.join(os.path.dirname(__file__), "static")
HTML = ("text/html",)
PAGE_PROBLEMS = ("internal-error",)
#: How many of an endpoint's newest deliveries its health is read from (one page of the API).
RECENT_DELIVERIES = 50


def _text(**kwargs: Any) -> fields.String:
    """A filter as typed into the page; the API validates it when the page asks."""
    return fields.String(validate=[validate.Length(0, 200), no_nul], **kwargs)


class ReportFilters(Schema):
    """The filters an analyst's page keeps in its URL, so a view can be shared."""

    class Meta:
        unknown = RAISE

    group_by = _text()
    department = _text()
    supplier_id = _text()
    from_ = _text(data_key="from")
    to = _text()


class ListFilters(Schema):
    """The PO list's filters, sort and page, as in its URL (the API's own names)."""

    class Meta:
        unknown = RAISE

    # Checked as the API checks it: a deep link with a status no PO can have is refused.
    status = fields.List(fields.String(validate=validate.OneOf([s.value for s in Status])))
    department = _text()
    supplier_id = _text()
    requester = _text()
    created_from = _text()
    created_to = _text()
    min_total = _text()
    max_total = _text()
    q = _text()
    sort = _text()
    limit = _text()
    cursor = fields.String(validate=[validate.Length(0, 1000), no_nul])


class WebhooksQuery(Schema):
    class Meta:
        unknown = RAISE

    endpoint = fields.UUID(metadata={"description": "the endpoint whose deliveries are shown"})


class FindQuery(Schema):
    class Meta:
        unknown = RAISE

    id = _text()


#: Only a page of the console is a place to return to after signing in, never
#: another site (`//evil.example`, `/\\evil.example`): a path under /console,
#: printable ASCII without a backslash (the browser sends it percent-encoded).
CONSOLE_PATH = r"^/console(?:[/?][!-\[\]-~]*)?$"


class SignInQuery(Schema):
    class Meta:
        unknown = RAISE

    next = fields.String(validate=[validate.Length(1, 2000), validate.Regexp(CONSOLE_PATH)],
                         metadata={"description": "the console page to return to once signed in"})


class CallbackQuery(Schema):
    """What the identity provider sends back; providers add their own (`session_state`)."""

    class Meta:
        unknown = EXCLUDE

    code = _text()
    state = _text()
    error = _text()
    error_description = fields.String(validate=[validate.Length(0, 2000), no_nul])
    iss = _text()


def _page(template: str, **context: Any) -> Response:
    return Response(render_template(f"console/{template}", **context), mimetype="text/html")


@bp.get("")
@open_route
@public_document
@documented(summary="Console: the start page (HTML)", tag="console", problems=PAGE_PROBLEMS, media_types=HTML)
def home() -> Response:
    return _page("home.html", page="home", title="Procura console")


@bp.get("/sign-in")
@open_route
@public_document
@documented(summary="Console: sign in at the identity provider, with a token, or as a demo user on the embedded "
                    "default (HTML)", tag="console", problems=PAGE_PROBLEMS, media_types=HTML, query=SignInQuery)
def sign_in() -> Response:
    query_args(SignInQuery())
    return _page("sign_in.html", page="sign-in", title="Sign in")


@bp.get("/session")
@open_route
@documented(summary="Console: who is signed in through the identity provider, and the session's CSRF token",
            tag="console", problems=("dependency-unavailable", "internal-error"))
def console_session() -> Response:
    """`{signed_in, provider}`, and when signed in `sub`, `org`, `roles`,
    `department`, `expires_at`, `refresh_at` (epoch seconds) and `csrf_token`,
    which the console sends as `X-CSRF-Token`. Tokens due for renewal are
    renewed here (and the cookie rewritten)."""
    provider = oidc.sign_in_settings() is not None
    stored = oidc.current_session() if provider else None
    principal = None
    if stored is not None:
        try:
            principal = verified_tokens().principal(stored["access_token"])
        except Problem:
            principal = None
    if principal is None:
        expired = provider and signed_in() is not None
        return Response(encode({"signed_in": False, "provider": provider, "expired": expired}), mimetype=JSON)
    return Response(encode({
        "signed_in": True, "provider": True, "sub": principal.sub, "org": principal.org,
        "roles": sorted(principal.roles), "department": principal.department,
        "expires_at": int(stored["expires_at"]), "refresh_at": math.ceil(stored["refresh_at"]),
        "csrf_token": stored["csrf"]}), mimetype=JSON)


@bp.get("/oidc/login")
@open_route
@documented(summary="Console: sign in at the identity provider (a redirect there; 404 without one)",
            tag="console", success=302, query=SignInQuery,
            problems=("not-found", "validation-error", "dependency-unavailable", "internal-error"))
def oidc_login() -> Response:
    # `$` also matches before a final newline, which no Location header may hold.
    next_path = (query_args(SignInQuery()).get("next") or "/console").rstrip("\n")
    return redirect(oidc.authorization_redirect(next_path), code=302)


@bp.get("/oidc/callback")
@open_route
@documented(summary="Console: where the identity provider sends people back after signing in (a redirect to "
                    "the page they asked for)", tag="console", success=303, query=CallbackQuery,
            problems=("not-found", "unauthenticated", "validation-error", "dependency-unavailable",
                      "internal-error"))
def oidc_callback() -> Response:
    query_args(CallbackQuery())
    return redirect(oidc.complete_sign_in(), code=303)


@bp.post("/sign-out")
@open_route
@documented(summary="Console: sign out of the identity provider's session (here, and at the provider when it "
                    "offers an end-session endpoint)", tag="console", request_headers=("X-CSRF-Token",),
            problems=("forbidden", "not-found", "internal-error"))
def sign_out() -> Response:
    """`{location}`: where the browser goes next (the provider's end-session
    endpoint, or the sign-in page). Refused (403) without the session's CSRF token."""
    if not request.headers.get(CSRF_HEADER):
        raise Problem("forbidden", "Signing out needs the session's CSRF token in X-CSRF-Token.")
    if oidc.sign_in_settings() is None:
        raise Problem("not-found", "Signing out here ends a session at the identity provider; this server "
                                   "has none (sign out of a pasted token in its tab).")
    stored = signed_in()
    if stored is not None and not carries_csrf_token(stored):
        raise Problem("forbidden", "Signing out needs the session's CSRF token in X-CSRF-Token.")
    return Response(encode({"location": oidc.sign_out()}), mimetype=JSON)


@bp.get("/spend")
@open_route
@public_document
@documented(summary="Console: spend by department, supplier or month (HTML)", tag="console",
            problems=PAGE_PROBLEMS, media_types=HTML, query=ReportFilters)
def spend() -> Response:
    query_args(ReportFilters())
    return _page("spend.html", page="spend", title="Spend")


@bp.get("/cycle-times")
@open_route
@public_document
@documented(summary="Console: approval cycle times (HTML)", tag="console", problems=PAGE_PROBLEMS,
            media_types=HTML, query=ReportFilters)
def cycle_times() -> Response:
    query_args(ReportFilters())
    return _page("cycle_times.html", page="cycle-times", title="Cycle times")


@bp.get("/approvals")
@open_route
@public_document
@documented(summary="Console: the approval queue (HTML)", tag="console", problems=PAGE_PROBLEMS, media_types=HTML)
def approvals() -> Response:
    return _page("approvals.html", page="approvals", title="Approval queue")


@bp.get("/projections")
@open_route
@public_document
@documented(summary="Console: read-model positions and lag (HTML)", tag="console", problems=PAGE_PROBLEMS,
            media_types=HTML)
def projections() -> Response:
    return _page("projections.html", page="projections", title="Read models")


@bp.get("/find")
@open_route
@public_document
@documented(summary="Console: find by PO, request, correlation, Idempotency-Key or operation id (HTML)",
            tag="console", problems=PAGE_PROBLEMS, media_types=HTML, query=FindQuery)
def find() -> Response:
    query_args(FindQuery())
    return _page("find.html", page="find", title="Find")


@bp.get("/purchase-orders")
@open_route
@public_document
@documented(summary="Console: the purchase orders you may see, filtered, searched, sorted and paged (HTML)",
            tag="console", problems=PAGE_PROBLEMS, media_types=HTML, query=ListFilters)
def purchase_orders() -> Response:
    query_args(ListFilters())
    return _page("purchase_orders.html", page="purchase-orders", title="Purchase orders",
                 statuses=[status.value for status in Status])


@bp.get("/webhooks")
@open_route
@public_document
@documented(summary="Console: webhook endpoints with their health, deliveries and attempts (HTML)",
            tag="console", problems=PAGE_PROBLEMS, media_types=HTML, query=WebhooksQuery)
def webhooks() -> Response:
    endpoint = query_args(WebhooksQuery()).get("endpoint")
    return _page("webhooks.html", page="webhooks", title="Webhooks", endpoint_id=endpoint and str(endpoint),
                 recent=RECENT_DELIVERIES)


@bp.get("/purchase-orders/<uuid:po_id>")
@open_route
@public_document
@documented(summary="Console: a PO's timeline (HTML)", tag="console", problems=PAGE_PROBLEMS, media_types=HTML)
def timeline(po_id) -> Response:
    return _page("timeline.html", page="timeline", title="PO timeline", po_id=str(po_id))


@bp.get("/static/<path:filename>")
@open_route
@public_document
@documented(summary="Console: its script and style sheet", tag="console", problems=("not-found", "internal-error"),
            media_types=("text/javascript", "text/css"), path_values={"filename": tuple(sorted(os.listdir(STATIC)))})
def static(filename: str) -> Response:
    return send_from_directory(STATIC, filename, max_age=0)


def offers_demo_tokens(settings: Settings) -> bool:
    """Only where anyone may mint them anyway: the embedded default verifying
    with the development secret that is published in the source."""
    return settings.is_embedded and not settings.identity.uses_keys and settings.jwt_secret == DEV_JWT_SECRET


@bp.get("/demo-users")
@open_route
@documented(summary="Console: the demo users and their tokens (embedded default only; 404 elsewhere)",
            tag="console", problems=("not-found", "internal-error"), response=DemoUsersOut)
def demo_users() -> Response:
    """`{users: [{name, roles, department, approval_limit, token}]}` on the
    embedded default with the development secret; 404 `not-found` elsewhere."""
    settings = current_app.extensions["procura"].settings
    if not offers_demo_tokens(settings):
        raise Problem("not-found", "Demo users exist only on the embedded default (no DATABASE_URL) "
                                   "with its development secret.")
    from app.console.demo_users import USERS, tokens

    minted = tokens(settings.jwt_secret)
    users = [{"name": name, "roles": user["roles"], "department": user.get("department"),
              "approval_limit": user.get("approval_limit"), "token": minted[name]} for name, user in USERS.items()]
    return Response(encode({"users": users}), mimetype=JSON)
