"""A stand-in identity provider for tests: OpenID discovery and a JWKS on
127.0.0.1, whose published keys a test can change and which a test can stop.
It counts the JWKS fetches, so tests can bound how often Procura asks, and
can hold them (a slow provider) until released."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

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
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": provider.jwks_url}
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
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.jwks_url = self.issuer + "/jwks"

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
