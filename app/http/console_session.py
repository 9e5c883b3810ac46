"""The console's session cookie: where a person signed in at the identity
provider keeps the provider's tokens (docs/operators/console-sign-in.md).

It is Flask's signed session cookie, Secure, HttpOnly and SameSite=Lax, so
every tab of the browser shares it and no script can read it. The API honours
it only for the console's own requests: those that also carry the session's
CSRF token in `X-CSRF-Token`, which only the console's pages can read (from
`GET /console/session`; other sites cannot read Procura's answers). A request
without it, a cross-site form among them, is answered as if it had no
cookie. Machine clients keep sending `Authorization: Bearer`.
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from flask import Flask, current_app, request, session

from app.config import ConsoleSignIn

#: The cookie's name: `__Host-` makes browsers keep it Secure, host-only and on every path.
COOKIE_NAME = "__Host-procura-console"
CSRF_HEADER = "X-CSRF-Token"
#: Where the signed-in session sits in the cookie (Authlib keeps its sign-in states beside it).
SESSION_KEY = "signed_in"
#: A cookie not rewritten for this long is refused: a session refreshes its tokens
#: (and so the cookie) well within it, one left idle ends.
IDLE_LIFETIME = timedelta(hours=12)


def install(app: Flask, sign_in: ConsoleSignIn | None) -> None:
    """Sign the session cookie, when the console signs people in; without
    `sign_in` Flask keeps no session at all (no key), as before."""
    if sign_in is None:
        return
    app.secret_key = sign_in.session_secret
    app.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/",
        SESSION_COOKIE_DOMAIN=None,
        PERMANENT_SESSION_LIFETIME=IDLE_LIFETIME,
    )


def enabled() -> bool:
    return current_app.secret_key is not None


def signed_in() -> dict | None:
    """The session's tokens and CSRF token, or None (nobody signed in, or no sign-in here)."""
    if not enabled():
        return None
    stored = session.get(SESSION_KEY)
    return stored if isinstance(stored, dict) else None


def carries_csrf_token(stored: dict) -> bool:
    sent = request.headers.get(CSRF_HEADER) or ""
    return bool(sent) and hmac.compare_digest(sent.encode(), str(stored.get("csrf", "")).encode())


def console_access_token() -> str | None:
    """The session's access token when this request is the console's own
    (it carries the CSRF token), else None: the cookie is then ignored."""
    if CSRF_HEADER not in request.headers:
        return None
    stored = signed_in()
    if stored is None or not carries_csrf_token(stored):
        return None
    token = stored.get("access_token")
    return token if isinstance(token, str) else None
