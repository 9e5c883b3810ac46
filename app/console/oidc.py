"""Signing people into the console at the identity provider: OpenID Connect's
authorization-code flow with PKCE, through Authlib (docs/operators/console-sign-in.md).

Authlib keeps each sign-in's state, nonce and PKCE verifier in the session
cookie until the provider sends the person back, checks them, exchanges the
code, and validates the ID token (signature with the provider's published
keys, issuer, audience, nonce, expiry). The access token must then pass the
very checks a bearer token from the provider passes (app/http/auth.py), so
roles map the same way; only then is the session stored.
"""

from __future__ import annotations

import secrets
import time

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import current_app, request, session
from joserfc.errors import JoseError

from app.config import ConsoleSignIn
from app.http.access import verified_tokens
from app.http.console_session import SESSION_KEY, signed_in
from app.http.problems import Problem, unauthenticated
from app.service.errors import DependencyUnavailable

CLIENT_EXTENSION = "procura.console_oidc"
IDENTITY_PROVIDER = "identity provider"
#: Each call to the provider (discovery, keys, token exchange) may take this long.
PROVIDER_TIMEOUT_SECONDS = 5
#: Tokens are renewed when this little of their life is left (or a quarter of it, if less).
REFRESH_MARGIN_SECONDS = 60
#: Browsers keep cookies of up to 4096 bytes; a session larger than this drops
#: first the ID token (only a hint at sign-out), then the refresh token.
COOKIE_BUDGET = 3800
_REFUSALS = (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError)


def sign_in_settings() -> ConsoleSignIn | None:
    return current_app.extensions["procura"].settings.console_sign_in


def _client():
    """The provider's Authlib client, built on first use in this app."""
    client = current_app.extensions.get(CLIENT_EXTENSION)
    if client is not None:
        return client
    settings = sign_in_settings()
    if settings is None:
        raise Problem(
            "not-found", "The console signs in at an identity provider only when PROCURA_CONSOLE_CLIENT_ID is set."
        )
    issuer = current_app.extensions["procura"].settings.identity.oidc_issuer
    client_kwargs = {
        "scope": settings.scopes,
        "code_challenge_method": "S256",
        "default_timeout": PROVIDER_TIMEOUT_SECONDS,
    }
    if settings.client_secret is None:  # a public client: PKCE alone proves the exchange is ours
        client_kwargs["token_endpoint_auth_method"] = "none"
    client = OAuth(current_app).register(
        "procura_console",
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs=client_kwargs,
    )
    current_app.extensions[CLIENT_EXTENSION] = client
    return client


def _provider_call(call, *args, **kwargs):
    """A call to the provider; unreachable is 503, a refusal is 401."""
    try:
        return call(*args, **kwargs)
    except requests.RequestException:
        raise DependencyUnavailable(IDENTITY_PROVIDER) from None
    except _REFUSALS as error:
        description = getattr(error, "description", None) or getattr(error, "error", None) or type(error).__name__
        raise unauthenticated(f"The identity provider's answer was refused: {description}.") from None


def authorization_redirect(next_path: str) -> str:
    """Where to send the browser to sign in; `next_path` is where it returns."""
    client = _client()
    redirect_uri = sign_in_settings().redirect_uri
    found = _provider_call(client.create_authorization_url, redirect_uri)
    client.save_authorize_data(redirect_uri=redirect_uri, next=next_path, **found)
    return found["url"]


def complete_sign_in() -> str:
    """Check the provider's answer to a sign-in, store the session, and say
    where the person was going. A state this browser did not start (forged,
    or already used) is refused, as is an ID token that fails its checks."""
    client = _client()
    state = request.args.get("state") or ""
    pending = client.framework.get_state_data(session, state) if state else None
    if pending is None:
        client.framework.clear_state_data(session, state)
        raise unauthenticated("This sign-in was not started here, or has already been completed; sign in again.")
    if request.args.get("error"):
        client.framework.clear_state_data(session, state)
        raise unauthenticated(f"The identity provider did not sign you in: {request.args['error']}.")
    token = _provider_call(client.authorize_access_token)
    if not token.get("userinfo"):
        raise unauthenticated("The identity provider sent no ID token.")
    _store(token, id_token=token.get("id_token"))
    return pending.get("next") or "/console"


def _store(token: dict, *, id_token: str | None, csrf: str | None = None) -> dict:
    """Keep the provider's tokens in the session once the access token passes
    the API's own checks (which also say when it expires)."""
    access_token = token.get("access_token")
    if not isinstance(access_token, str):
        raise unauthenticated("The identity provider sent no access token.")
    _principal, expires = verified_tokens().verifier.verify(access_token)
    now = time.time()
    stored = {
        "access_token": access_token,
        "refresh_token": token.get("refresh_token"),
        "id_token": id_token,
        "expires_at": expires,
        "refresh_at": expires - min(REFRESH_MARGIN_SECONDS, (expires - now) / 4),
        "csrf": csrf or secrets.token_urlsafe(32),
    }
    for optional in (None, "id_token", "refresh_token"):
        if optional is not None:
            stored[optional] = None
        if _size({**dict(session), SESSION_KEY: stored}) <= COOKIE_BUDGET:
            break
    else:  # a browser would drop the cookie, and the person would sign in again and again
        raise unauthenticated(
            f"The identity provider's access token is too large for the session cookie ({len(access_token)} "
            f"bytes); have the provider put fewer claims in it."
        )
    session[SESSION_KEY] = stored
    return stored


def _size(data: dict) -> int:
    serializer = current_app.session_interface.get_signing_serializer(current_app)
    return len(serializer.dumps(data))


def current_session() -> dict | None:
    """The signed-in session, its tokens renewed when they are due; None when
    nobody is signed in or the session has ended (expired, not renewable)."""
    stored = signed_in()
    if stored is None:
        return None
    if time.time() >= stored.get("refresh_at", 0) and stored.get("refresh_token"):
        stored = _refreshed(stored) or stored
    if time.time() >= stored.get("expires_at", 0):
        return None
    return stored


def _refreshed(stored: dict) -> dict | None:
    """The session with renewed tokens, or None when the provider refused or
    was unreachable: the tokens at hand then serve until they expire (another
    tab may have renewed them meanwhile, with a rotated refresh token)."""
    client = _client()
    try:
        token = _provider_call(
            client.fetch_access_token, grant_type="refresh_token", refresh_token=stored["refresh_token"]
        )
        return _store(token, id_token=token.get("id_token") or stored.get("id_token"), csrf=stored["csrf"])
    except (Problem, DependencyUnavailable):
        return None


def sign_out() -> str:
    """End the session here; where to send the browser next: the provider's
    end-session endpoint when it offers one, else the sign-in page."""
    stored = signed_in() or {}
    session.pop(SESSION_KEY, None)
    settings = sign_in_settings()
    landing = settings.public_url + "/console/sign-in"
    client = _client()
    try:
        metadata = client.load_server_metadata()
    except requests.RequestException:
        return "/console/sign-in"  # signed out here; the provider cannot be told now
    if not metadata.get("end_session_endpoint"):
        return "/console/sign-in"
    hint = {"id_token_hint": stored["id_token"]} if stored.get("id_token") else {}
    return client.create_logout_url(post_logout_redirect_uri=landing, client_id=settings.client_id, **hint)["url"]
