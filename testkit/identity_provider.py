"""A stand-in identity provider for tests: OpenID discovery and a JWKS on
127.0.0.1, whose published keys a test can change and which a test can stop.
It counts the JWKS fetches, so tests can bound how often Procura asks, and
can hold them (a slow provider) until released.

Given a client (`register_client`), it also signs people in the way a real
provider does: an authorization endpoint with a sign-in page, the
authorization-code grant checked against PKCE (S256), refresh tokens, and an
end-session endpoint, each answer as OpenID Connect says (`SignInService`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from testkit.server import SERVE_POLL

AUDIENCE = "procura"


@dataclass
class SigningKey:
    """A provider's key pair and the algorithm it signs with."""

    kid: str
    algorithm: str
    private_key: object

    @classmethod
    def rsa(cls, kid: str = "rsa-1") -> SigningKey:
        return cls(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @classmethod
    def ec(cls, kid: str = "ec-1") -> SigningKey:
        return cls(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def jwk(self) -> dict:
        """The public key as the provider publishes it."""
        to_jwk = RSAAlgorithm.to_jwk if self.algorithm.startswith("RS") else ECAlgorithm.to_jwk
        return {**to_jwk(self.private_key.public_key(), as_dict=True), "kid": self.kid, "use": "sig",
                "alg": self.algorithm}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, claims: dict, *, algorithm: str | None = None, kid: str | None = None) -> str:
        return jwt.encode(claims, self.private_key, algorithm=algorithm or self.algorithm,
                          headers={"kid": kid or self.kid})


def hmac_signed(claims: dict, secret: bytes, kid: str) -> str:
    """An HS256 token made by hand: PyJWT refuses a PEM as an HMAC secret,
    which is exactly what an attacker holding the public key would use."""
    def part(data: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signing_input = part({"alg": "HS256", "typ": "JWT", "kid": kid}) + b"." + part(claims)
    signature = base64.urlsafe_b64encode(hmac.new(secret, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


class FakeIdentityProvider:
    """Serves `/.well-known/openid-configuration` and `/jwks` until stopped."""

    def __init__(self, *keys: SigningKey):
        self.keys = list(keys)
        self.jwks_fetches = 0
        self.held_fetches = 0  # JWKS requests waiting for `release()` right now
        self.delay_seconds = 0.0  # how long each JWKS answer takes (a slow provider)
        self._count_lock = threading.Lock()
        self._answering = threading.Event()
        self._answering.set()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                provider._answer(self, provider.sign_in.post(self.path, form, self.headers))

            def do_GET(self):
                path, _, query = self.path.partition("?")
                if provider.sign_in.client_id and path in SignInService.GET_PATHS:
                    provider._answer(self, provider.sign_in.get(path, {k: v[0] for k, v in parse_qs(query).items()}))
                    return
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": provider.jwks_url, **provider.sign_in.metadata()}
                elif self.path == "/jwks":
                    with provider._count_lock:
                        provider.jwks_fetches += 1
                    provider._answer_when_released()
                    body = {"keys": [k.jwk() for k in provider.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # a held fetch its client gave up on
                    pass

            def log_message(self, *args):  # quiet: pytest shows stderr of failures
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs=SERVE_POLL, daemon=True)
        self._thread.start()
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.jwks_url = self.issuer + "/jwks"
        self.sign_in = SignInService(self)

    def register_client(self, client_id: str, client_secret: str | None, redirect_uri: str,
                        post_logout_redirect_uri: str | None = None) -> SignInService:
        """Sign people in for this client from now on (a public client without a secret)."""
        service = self.sign_in
        service.client_id, service.client_secret = client_id, client_secret
        service.redirect_uri, service.post_logout_redirect_uri = redirect_uri, post_logout_redirect_uri
        return service

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, answer: tuple[int, dict, bytes]) -> None:
        status, headers, body = answer
        try:
            handler.send_response(status)
            for name, value in {**headers, "Content-Length": str(len(body)), "Cache-Control": "no-store"}.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def publish(self, *keys: SigningKey) -> None:
        """From now on the JWKS holds exactly `keys`."""
        self.keys = list(keys)

    def hold(self) -> None:
        """From now on JWKS requests get no answer until `release()` (a slow provider)."""
        self._answering.clear()

    def release(self) -> None:
        """Held and later JWKS requests are answered."""
        self._answering.set()

    def _answer_when_released(self) -> None:
        time.sleep(self.delay_seconds)
        if self._answering.is_set():
            return
        with self._count_lock:
            self.held_fetches += 1
        self._answering.wait(timeout=60)
        with self._count_lock:
            self.held_fetches -= 1

    def stop(self) -> None:
        """The provider becomes unreachable (connections refused)."""
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def claims(self, **changes) -> dict:
        """Claims of a valid token from this provider for Procura, with `changes`."""
        now = int(time.time())
        base = {"iss": self.issuer, "aud": AUDIENCE, "sub": "alice", "org": "org-1", "roles": ["requester"],
                "department": "eng", "iat": now, "exp": now + 600}
        return {**base, **changes}


def _json(status: int, body: dict) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(body).encode()


def _redirect(url: str) -> tuple[int, dict, bytes]:
    return 302, {"Location": url}, b""


def _page(body: str) -> tuple[int, dict, bytes]:
    document = f"<!doctype html><html lang=en><head><title>Test identity provider</title><link rel=icon href='data:,'></head><body>{body}</body></html>"
    return 200, {"Content-Type": "text/html; charset=utf-8"}, document.encode()


def _with_query(url: str, params: dict) -> str:
    return url + ("&" if urlsplit(url).query else "?") + urlencode(params)


@dataclass
class SignInService:
    """The provider's sign-in for one registered client: who signs in (`user`,
    claims of the access token), how long tokens live, and counts a test reads."""

    provider: FakeIdentityProvider
    GET_PATHS = ("/authorize", "/end-session")
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None
    post_logout_redirect_uri: str | None = None
    user: dict = field(default_factory=lambda: {"sub": "alice", "org": "org-1", "roles": ["requester"],
                                                "department": "eng"})
    access_token_seconds: int = 300
    issue_refresh_tokens: bool = True
    refuse_refresh: bool = False
    offer_end_session: bool = True
    #: When set, the ID token carries this nonce instead of the one asked for (a forged token).
    id_token_nonce: str | None = None
    #: When set, the ID token is signed with this key, not with a published one.
    id_token_key: SigningKey | None = None
    sign_in_pages: int = 0
    codes_issued: int = 0
    refreshes: int = 0
    end_sessions: list = field(default_factory=list)
    _codes: dict = field(default_factory=dict)
    _refresh_tokens: set = field(default_factory=set)

    def metadata(self) -> dict:
        if not self.client_id:
            return {}
        issuer = self.provider.issuer
        document = {"authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token",
                    "response_types_supported": ["code"], "code_challenge_methods_supported": ["S256"],
                    "id_token_signing_alg_values_supported": sorted({k.algorithm for k in self.provider.keys}),
                    "grant_types_supported": ["authorization_code", "refresh_token"]}
        if self.offer_end_session:
            document["end_session_endpoint"] = issuer + "/end-session"
        return document

    def get(self, path: str, query: dict) -> tuple[int, dict, bytes]:
        if path == "/end-session":
            self.end_sessions.append(query)
            target = query.get("post_logout_redirect_uri")
            if target and target == self.post_logout_redirect_uri:
                return _redirect(_with_query(target, {"state": query["state"]}) if query.get("state") else target)
            return _page("<p>You are signed out.</p>")
        refused = self._authorization_refused(query)
        if refused:
            return 400, {"Content-Type": "text/plain"}, refused.encode()
        self.sign_in_pages += 1
        hidden = "".join(f'<input type=hidden name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in query.items())
        return _page(f'<h1>Test identity provider</h1><form method=post action="/authorize">{hidden}'
                     f'<button type=submit>Sign in as {html.escape(self.user["sub"])}</button></form>')

    def _authorization_refused(self, query: dict) -> str | None:
        if query.get("client_id") != self.client_id or query.get("redirect_uri") != self.redirect_uri:
            return "unknown client or redirect_uri"
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return "only the code flow of OpenID Connect"
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return "PKCE (S256) is required"
        return None

    def post(self, path: str, form: dict, headers) -> tuple[int, dict, bytes]:
        if path == "/authorize":
            if self._authorization_refused(form):
                return 400, {"Content-Type": "text/plain"}, b"refused"
            code = secrets.token_urlsafe(24)
            self._codes[code] = form
            self.codes_issued += 1
            return _redirect(_with_query(form["redirect_uri"], {"code": code, "state": form.get("state", ""),
                                                                 "iss": self.provider.issuer}))
        if path != "/token":
            return _json(404, {"error": "not_found"})
        if not self._client_authenticated(form, headers):
            return _json(401, {"error": "invalid_client"})
        if form.get("grant_type") == "authorization_code":
            return self._exchange(form)
        if form.get("grant_type") == "refresh_token":
            return self._refresh(form)
        return _json(400, {"error": "unsupported_grant_type"})

    def _client_authenticated(self, form: dict, headers) -> bool:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        scheme, _, credentials = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() == "basic":
            from urllib.parse import unquote

            client_id, _, secret = base64.b64decode(credentials).decode().partition(":")
            client_id, secret = unquote(client_id), unquote(secret)
        if client_id != self.client_id:
            return False
        return self.client_secret is None or hmac.compare_digest(secret or "", self.client_secret)

    def _exchange(self, form: dict) -> tuple[int, dict, bytes]:
        asked = self._codes.pop(form.get("code", ""), None)  # a code is good once
        if asked is None or form.get("redirect_uri") != asked["redirect_uri"]:
            return _json(400, {"error": "invalid_grant"})
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if not hmac.compare_digest(challenge, asked["code_challenge"]):
            return _json(400, {"error": "invalid_grant", "error_description": "PKCE verifier does not match"})
        now = int(time.time())
        key = self.id_token_key or self.provider.keys[0]
        id_token = key.sign({"iss": self.provider.issuer, "aud": self.client_id, "sub": self.user["sub"],
                             "nonce": self.id_token_nonce or asked.get("nonce"), "iat": now, "exp": now + 300})
        return _json(200, {**self._tokens(), "id_token": id_token})

    def _refresh(self, form: dict) -> tuple[int, dict, bytes]:
        token = form.get("refresh_token", "")
        if self.refuse_refresh or token not in self._refresh_tokens:
            return _json(400, {"error": "invalid_grant"})
        self._refresh_tokens.discard(token)  # rotated: each refresh token is good once
        self.refreshes += 1
        return _json(200, self._tokens())

    def _tokens(self) -> dict:
        now = int(time.time())
        access = self.provider.keys[0].sign(self.provider.claims(**self.user, iat=now,
                                                                 exp=now + self.access_token_seconds))
        tokens = {"access_token": access, "token_type": "Bearer", "expires_in": self.access_token_seconds}
        if self.issue_refresh_tokens:
            tokens["refresh_token"] = secrets.token_urlsafe(24)
            self._refresh_tokens.add(tokens["refresh_token"])
        return tokens
