"""The console's sign-in at the identity provider, without a browser: the
Flask client plays the browser (it keeps the session cookie) against the
suite's identity provider over HTTP. The browser journeys are in
tests/console/test_provider_sign_in.py."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from app.bootstrap import create_app
from app.config import ConsoleSignIn, IdentityProvider, Settings
from app.http.console_session import SESSION_KEY
from testkit.identity_provider import AUDIENCE, FakeIdentityProvider, SigningKey
from testkit.server import free_port, serving_process

PUBLIC_URL = "http://127.0.0.1:9"
CLIENT_ID = "procura-console"


@pytest.fixture
def provider():
    started = FakeIdentityProvider(SigningKey.rsa())
    yield started
    started.stop()


def _app(provider: FakeIdentityProvider, client_secret: str | None = "console-secret"):
    provider.register_client(
        CLIENT_ID, client_secret, PUBLIC_URL + "/console/oidc/callback", PUBLIC_URL + "/console/sign-in"
    )
    identity = IdentityProvider(oidc_issuer=provider.issuer, issuer=provider.issuer, audience=AUDIENCE)
    sign_in = ConsoleSignIn(
        client_id=CLIENT_ID,
        client_secret=client_secret,
        public_url=PUBLIC_URL,
        session_secret=secrets.token_urlsafe(32),
    )
    return create_app(Settings(in_memory=True, identity=identity, console_sign_in=sign_in))


def _sign_in(client, provider: FakeIdentityProvider, next_path: str = "/console/approvals"):
    """Through the provider as a browser goes: to its sign-in page, its form, back to the callback."""
    login = client.get(f"/console/oidc/login?next={next_path}")
    assert login.status_code == 302, login.get_data(as_text=True)
    asked = dict(parse_qsl(urlsplit(login.headers["Location"]).query))
    assert requests.get(login.headers["Location"], timeout=5).status_code == 200
    signed = requests.post(provider.issuer + "/authorize", data=asked, allow_redirects=False, timeout=5)
    back = urlsplit(signed.headers["Location"])
    return client.get(f"{back.path}?{back.query}")


def _stored(client) -> dict:
    with client.session_transaction() as session:
        return dict(session.get(SESSION_KEY) or {})


def test_a_public_client_signs_in_with_pkce_alone(provider):
    client = _app(provider, client_secret=None).test_client()
    answer = _sign_in(client, provider)
    assert (answer.status_code, answer.headers["Location"]) == (303, "/console/approvals")
    session = client.get("/console/session").get_json()
    assert (session["signed_in"], session["sub"], session["roles"]) == (True, "alice", ["requester"])


def test_the_session_is_honoured_by_the_api_only_with_its_csrf_token(provider):
    client = _app(provider).test_client()
    _sign_in(client, provider)
    csrf = client.get("/console/session").get_json()["csrf_token"]
    assert client.get("/purchase-orders").status_code == 401
    assert client.get("/purchase-orders", headers={"X-CSRF-Token": "made-up"}).status_code == 401
    assert client.get("/purchase-orders", headers={"X-CSRF-Token": csrf}).status_code == 200


def test_an_id_token_signed_with_a_key_the_provider_does_not_publish_is_refused(provider):
    provider.sign_in.id_token_key = SigningKey.rsa("rsa-1")  # the published kid, another key
    client = _app(provider).test_client()
    answer = _sign_in(client, provider)
    assert answer.status_code == 401
    assert answer.get_json()["type"] == "/problems/unauthenticated"
    assert _stored(client) == {}


def test_an_access_token_the_api_would_refuse_signs_nobody_in(provider):
    provider.sign_in.user = {**provider.sign_in.user, "roles": ["offline_access"]}
    client = _app(provider).test_client()
    answer = _sign_in(client, provider)
    assert answer.status_code == 401 and "no Procura role" in answer.get_json()["detail"]
    assert client.get("/console/session").get_json()["signed_in"] is False


def test_a_session_too_large_for_a_cookie_leaves_out_the_id_token_first(provider):
    provider.sign_in.user = {**provider.sign_in.user, "blob": secrets.token_urlsafe(1500)}
    client = _app(provider).test_client()
    assert _sign_in(client, provider).status_code == 303
    stored = _stored(client)
    assert stored["id_token"] is None and stored["refresh_token"] and stored["access_token"]


def test_an_access_token_too_large_for_any_cookie_is_refused_in_words(provider):
    provider.sign_in.user = {**provider.sign_in.user, "blob": secrets.token_urlsafe(4000)}
    client = _app(provider).test_client()
    answer = _sign_in(client, provider)
    assert answer.status_code == 401 and "too large for the session cookie" in answer.get_json()["detail"]


def test_a_provider_that_cannot_be_reached_is_503_when_signing_in(provider):
    app = _app(provider)
    provider.stop()
    answer = app.test_client().get("/console/oidc/login")
    assert answer.status_code == 503
    assert answer.get_json()["dependency"] == "identity provider"


def _cookie(answer: requests.Response) -> str:
    """The session cookie a response sets, as a browser sends it back (requests
    would not send a Secure cookie over http, which browsers do on loopback)."""
    set_cookie = answer.headers["Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    return set_cookie.split(";", 1)[0]


def test_a_session_signed_in_through_the_edge_is_honoured_by_every_worker(pg_database_url, provider):
    """`procura serve` as deployed (HAProxy, granian, two worker processes) on PostgreSQL."""
    from tests.conftest import SECRET

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    provider.register_client(CLIENT_ID, "console-secret", base + "/console/oidc/callback", base + "/console/sign-in")
    env = {
        "DATABASE_URL": pg_database_url,
        "PROCURA_JWT_SECRET": SECRET,
        "PROCURA_OIDC_ISSUER": provider.issuer,
        "PROCURA_JWT_AUDIENCE": AUDIENCE,
        "PROCURA_CONSOLE_CLIENT_ID": CLIENT_ID,
        "PROCURA_CONSOLE_CLIENT_SECRET": "console-secret",
        "PROCURA_PUBLIC_URL": base,
        "PROCURA_CONSOLE_SESSION_SECRET": secrets.token_urlsafe(32),
    }
    with serving_process(env, workers=2, threads=2, port=port):
        login = requests.get(base + "/console/oidc/login?next=/console/approvals", allow_redirects=False, timeout=10)
        asked = dict(parse_qsl(urlsplit(login.headers["Location"]).query))
        signed = requests.post(provider.issuer + "/authorize", data=asked, allow_redirects=False, timeout=10)
        back = urlsplit(signed.headers["Location"])
        callback = requests.get(
            f"{base}{back.path}?{back.query}", headers={"Cookie": _cookie(login)}, allow_redirects=False, timeout=10
        )
        assert (callback.status_code, callback.headers["Location"]) == (303, "/console/approvals")
        cookie = {"Cookie": _cookie(callback)}
        csrf = requests.get(base + "/console/session", headers=cookie, timeout=10).json()["csrf_token"]
        reads = [
            requests.get(base + "/purchase-orders", headers={**cookie, "X-CSRF-Token": csrf}, timeout=10)
            for _ in range(8)
        ]  # spread over both workers
        assert [r.status_code for r in reads] == [200] * 8
        assert requests.get(base + "/purchase-orders", headers=cookie, timeout=10).status_code == 401
