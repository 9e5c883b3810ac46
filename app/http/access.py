"""Deny by default: every route needs a verified bearer token unless its view
is explicitly marked `@open_route` (CONTRACT.md section 1)."""

from __future__ import annotations

from typing import Callable

from flask import current_app, g, request

from aggregates.policy import Principal
from app.http.auth import principal_from_header

OPEN_ATTRIBUTE = "procura_open_route"


def open_route(view: Callable) -> Callable:
    """Mark a view as reachable without a token (health, docs, callbacks)."""
    setattr(view, OPEN_ATTRIBUTE, True)
    return view


def is_open(view: Callable) -> bool:
    return getattr(view, OPEN_ATTRIBUTE, False)


def authenticate_request() -> None:
    """before_request hook: put the caller's Principal on `g`, or refuse."""
    if request.endpoint is None:  # unrouted: the 404/405 handler answers
        return
    view = current_app.view_functions[request.endpoint]
    if is_open(view):
        return
    secret = current_app.extensions["procura"].settings.jwt_secret
    g.principal = principal_from_header(request.headers.get("Authorization"), secret)


def caller() -> Principal:
    return g.principal
