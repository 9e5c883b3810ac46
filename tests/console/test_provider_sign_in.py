"""Signing into the console at an identity provider (docs/operators/console-sign-in.md),
in Chromium against Procura served over HTTP and the suite's identity
provider (testkit/identity_provider.py) serving discovery, its sign-in page,
the code grant with PKCE, refresh tokens and end-session.

The server listens on http://127.0.0.1: Chromium counts loopback as a secure
context, so the Secure `__Host-` session cookie is kept there as it is over
https (the first test checks the browser really holds it)."""

from __future__ import annotations

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from werkzeug.serving import make_server

from app.bootstrap import build_services, create_app
from app.config import DEV_JWT_SECRET, ConsoleSignIn, IdentityProvider, Settings
from app.http.console_session import COOKIE_NAME
from testkit.identity_provider import AUDIENCE, FakeIdentityProvider, SigningKey
from testkit.server import free_port, wait_until
from tests.conftest import po_body

CLIENT_ID = "procura-console"
CLIENT_SECRET = "console-client-secret"
PROVIDER_BUTTON = "Sign in as alice"
CONSOLE_BUTTON = "Sign in with your organisation's account"


@pytest.fixture(scope="module")
def provider():
    started = FakeIdentityProvider(SigningKey.rsa())
    yield started
    started.stop()


@pytest.fixture(scope="module")
def server(provider, tmp_path_factory):
    """Procura with the console registered at the provider as a confidential client."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(
        sqlite_path=tmp_path_factory.mktemp("oidc") / "procura.sqlite3",
        jwt_secret=DEV_JWT_SECRET,
        identity=IdentityProvider(oidc_issuer=provider.issuer, issuer=provider.issuer, audience=AUDIENCE),
        console_sign_in=ConsoleSignIn(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            public_url=base,
            session_secret="a-console-session-secret-of-32-bytes-or-more",
        ),
    )
    provider.register_client(
        CLIENT_ID, CLIENT_SECRET, base + "/console/oidc/callback", post_logout_redirect_uri=base + "/console/sign-in"
    )
    services = build_services(settings)
    http = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    supervisor = services.supervisor().start()
    try:
        yield base
    finally:
        supervisor.stop()
        http.shutdown()
        services.close()


@pytest.fixture
def sign_in(provider):
    """The provider as each test finds it: long-lived tokens, refresh allowed, honest nonces."""
    service = provider.sign_in
    service.access_token_seconds, service.refuse_refresh, service.id_token_nonce = 300, False, None
    service.issue_refresh_tokens, service.offer_end_session = True, True
    return service


@pytest.fixture
def context(browser):
    """A browser of its own (its own cookies); tabs are its pages."""
    opened = browser.new_context(viewport={"width": 1280, "height": 900})
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def po_id(provider, server):
    token = provider.keys[0].sign(provider.claims())
    response = requests.post(
        server + "/purchase-orders",
        json=po_body(title="Deep-linked laptops"),
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": os.urandom(8).hex()},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _ready(page) -> None:
    page.wait_for_selector("body[data-ready='true']", timeout=10_000)


def _sign_in_at_provider(page, server, path: str) -> None:
    """From a console page that asks to sign in, through the provider, back to `path`."""
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_role("link", name=CONSOLE_BUTTON).click()
    page.get_by_role("button", name=PROVIDER_BUTTON).click()
    page.wait_for_url(server + path, timeout=10_000)
    _ready(page)


def _timeline_shown(page) -> None:
    page.locator("#po-now").get_by_text("Deep-linked laptops").wait_for(timeout=10_000)


def _session(page, server) -> dict:
    return page.request.get(server + "/console/session").json()


def test_signing_in_at_the_provider_returns_to_the_page_asked_for_with_a_secure_httponly_cookie(
    server, sign_in, context, po_id
):
    page = context.new_page()
    errors = []  # the console's script and the CSP say nothing is wrong
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    path = f"/console/purchase-orders/{po_id}"
    page.goto(server + path)
    _ready(page)
    page.get_by_text("Sign in to see this page.").wait_for()
    _sign_in_at_provider(page, server, path)
    _timeline_shown(page)
    assert page.locator("#who-text").text_content() == "Signed in as alice (requester)"
    assert errors == []
    (cookie,) = [c for c in context.cookies() if c["name"] == COOKIE_NAME]
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"


def test_a_deep_link_opened_in_a_new_tab_needs_no_second_sign_in(server, sign_in, context, po_id):
    first = context.new_page()
    first.goto(server + "/console")
    _ready(first)
    _sign_in_at_provider(first, server, "/console")
    pages_seen = sign_in.sign_in_pages
    second = context.new_page()
    second.goto(server + f"/console/purchase-orders/{po_id}")
    _ready(second)
    _timeline_shown(second)
    assert sign_in.sign_in_pages == pages_seen


def test_signing_out_ends_the_session_here_and_at_the_provider(server, sign_in, context):
    page = context.new_page()
    page.goto(server + "/console")
    _ready(page)
    _sign_in_at_provider(page, server, "/console")
    other_tab = context.new_page()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(server + "/console/sign-in?state=*", timeout=10_000)
    ended = sign_in.end_sessions[-1]
    assert ended["client_id"] == CLIENT_ID and ended["id_token_hint"]
    other_tab.goto(server + "/console/approvals")
    _ready(other_tab)
    other_tab.get_by_text("Sign in to see this page.").wait_for()
    assert _session(other_tab, server)["signed_in"] is False


def test_tokens_are_renewed_with_the_refresh_token_before_they_expire(server, sign_in, context):
    sign_in.access_token_seconds = 8
    page = context.new_page()
    page.goto(server + "/console")
    _ready(page)
    refreshes = sign_in.refreshes
    _sign_in_at_provider(page, server, "/console")
    first = _session(page, server)
    # The open page asks for renewal at refresh_at, 2 s before expiry, by itself.
    wait_until(lambda: sign_in.refreshes > refreshes, timeout=15, what="the console to renew its tokens")
    renewed = wait_until(
        lambda: (s := _session(page, server))["expires_at"] > first["expires_at"] and s,
        timeout=5,
        what="the session to hold the renewed tokens",
    )
    assert renewed["signed_in"] and renewed["csrf_token"] == first["csrf_token"]


def test_when_the_provider_will_not_renew_the_page_signs_in_again_before_expiry_and_comes_back(
    server, sign_in, context, po_id
):
    sign_in.access_token_seconds, sign_in.refuse_refresh = 8, True
    page = context.new_page()
    path = f"/console/purchase-orders/{po_id}"
    page.goto(server + path)
    _ready(page)
    _sign_in_at_provider(page, server, path)
    expires_at = _session(page, server)["expires_at"]
    page.get_by_role("button", name=PROVIDER_BUTTON).wait_for(timeout=15_000)  # sent there by the page itself
    assert time.time() < expires_at
    sign_in.access_token_seconds, sign_in.refuse_refresh = 300, False
    page.get_by_role("button", name=PROVIDER_BUTTON).click()
    page.wait_for_url(server + path, timeout=10_000)
    _timeline_shown(page)


def test_an_expired_session_asks_to_sign_in_again_and_returns_to_the_page(server, sign_in, context, po_id):
    sign_in.access_token_seconds, sign_in.refuse_refresh = 4, True
    page = context.new_page()
    page.goto(server + "/console")
    _ready(page)
    _sign_in_at_provider(page, server, "/console")
    page.close()
    expires_at = _session(context.new_page(), server)["expires_at"]
    wait_until(lambda: time.time() > expires_at + 1, timeout=10, what="the session to expire")
    later = context.new_page()
    path = f"/console/purchase-orders/{po_id}"
    later.goto(server + path)
    _ready(later)
    later.get_by_text("Your session has expired.").wait_for()
    sign_in.access_token_seconds, sign_in.refuse_refresh = 300, False
    _sign_in_at_provider(later, server, path)
    _timeline_shown(later)


def test_a_forged_state_is_refused(server, sign_in, context):
    page = context.new_page()
    response = page.goto(server + "/console/oidc/callback?code=made-up&state=forged")
    assert response.status == 401
    assert _session(page, server)["signed_in"] is False


def test_a_replayed_callback_is_refused(server, sign_in, context):
    page = context.new_page()
    callbacks = []
    page.on("request", lambda r: callbacks.append(r.url) if "/console/oidc/callback" in r.url else None)
    page.goto(server + "/console")
    _ready(page)
    _sign_in_at_provider(page, server, "/console")
    replay = context.new_page()
    response = replay.goto(callbacks[0])
    assert response.status == 401
    assert "already been completed" in response.json()["detail"]


def test_an_id_token_with_another_nonce_is_refused(server, sign_in, context):
    sign_in.id_token_nonce = "not-the-nonce-asked-for"
    page = context.new_page()
    page.goto(server + "/console/sign-in")
    _ready(page)
    page.get_by_role("link", name=CONSOLE_BUTTON).click()
    with page.expect_response(lambda r: "/console/oidc/callback" in r.url) as answer:
        page.get_by_role("button", name=PROVIDER_BUTTON).click()
    assert answer.value.status == 401
    assert _session(page, server)["signed_in"] is False


class _Attacker:
    """Another site (localhost is not 127.0.0.1's site) whose page posts a form to Procura."""

    def __init__(self, target: str):
        page = (
            f'<!doctype html><form id=f method=post action="{target}" enctype="text/plain">'
            '<input name=x value=y></form><script>document.getElementById("f").submit()</script>'
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://localhost:{self.server.server_address[1]}/"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def test_a_cross_site_post_without_the_csrf_token_is_refused(server, sign_in, context):
    page = context.new_page()
    page.goto(server + "/console")
    _ready(page)
    _sign_in_at_provider(page, server, "/console")
    attacker = _Attacker(server + "/purchase-orders")
    try:
        with page.expect_response(lambda r: r.url == server + "/purchase-orders") as answer:
            page.goto(attacker.url)
        assert answer.value.status == 401
    finally:
        attacker.stop()
    # Even sent along (a same-site request), the cookie alone is no credential: the CSRF token is.
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    session = _session(page, server)
    without = requests.post(
        server + "/purchase-orders",
        json=po_body(),
        cookies=cookies,
        timeout=10,
        headers={"Idempotency-Key": os.urandom(8).hex()},
    )
    assert without.status_code == 401
    with_token = requests.post(
        server + "/purchase-orders",
        json=po_body(),
        cookies=cookies,
        timeout=10,
        headers={"Idempotency-Key": os.urandom(8).hex(), "X-CSRF-Token": session["csrf_token"]},
    )
    assert with_token.status_code == 201, with_token.text
    forged_sign_out = requests.post(
        server + "/console/sign-out", cookies=cookies, timeout=10, headers={"X-CSRF-Token": "forged"}
    )
    assert forged_sign_out.status_code == 403


def test_axe_core_reports_no_serious_or_critical_violations_on_the_sign_in_page_with_a_provider(
    server, sign_in, context
):
    from axe_playwright_python.sync_playwright import Axe

    page = context.new_page()
    page.goto(server + "/console/sign-in?next=/console/approvals")
    _ready(page)
    page.get_by_role("link", name=CONSOLE_BUTTON).wait_for()
    violations = Axe().run(page).response["violations"]
    grave = [(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")]
    assert grave == []
