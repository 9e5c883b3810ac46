"""Deny by default: every view declares who may reach it.

`@open_route` marks the few views reachable without a token (health, problem
pages, docs, callbacks); `@bearer_required` marks the rest. A view with no
declaration is treated as protected, and a test enumerates the routes so that
none is left undeclared.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g, request

from aggregates.policy import Principal
from app.http.auth import VerifiedTokens, Verifier, bearer_token
from app.http.console_session import console_access_token

ACCESS_ATTRIBUTE = "procura_access"
OPEN, BEARER = "open", "bearer"


def open_route(view: Callable) -> Callable:
    """Reachable without a token (docs/integrators/api.md section 1 lists which)."""
    setattr(view, ACCESS_ATTRIBUTE, OPEN)
    return view


def bearer_required(view: Callable) -> Callable:
    """Reachable only with a valid bearer token; the view authorizes further."""
    setattr(view, ACCESS_ATTRIBUTE, BEARER)
    return view


def declared_access(view: Callable) -> str | None:
    return getattr(view, ACCESS_ATTRIBUTE, None)


def authenticate_request() -> None:
    """before_request hook: put the caller's Principal on `g`, or refuse."""
    if request.endpoint is None:  # unrouted: the 404/405 handler answers
        return
    if declared_access(current_app.view_functions[request.endpoint]) == OPEN:
        return
    header = request.headers.get("Authorization")
    # The console's session cookie stands in for the header, for the console's own requests only.
    token = console_access_token() if header is None else None
    g.principal = verified_tokens().principal(token or bearer_token(header))


def verified_tokens() -> VerifiedTokens:
    tokens = current_app.extensions.get("procura.tokens")
    if tokens is None:  # first request of this app; a race only builds two
        settings = current_app.extensions["procura"].settings
        verifier = Verifier(settings.jwt_secret, settings.identity, settings.jwt_max_lifetime_seconds)
        tokens = VerifiedTokens(verifier)
        current_app.extensions["procura.tokens"] = tokens
    return tokens


def caller() -> Principal:
    return g.principal
