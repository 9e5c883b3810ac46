"""Bearer tokens: JWTs verified with PyJWT into a Principal, signed either
with the shared HS256 secret or by an identity provider (app/http/provider_keys.py).

Every failure is the same 401 to the client; the `detail` says only which
part of the token was unacceptable, never anything about the server.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import jwt

from aggregates.policy import Principal
from app.config import IdentityProvider
from app.http.claims import expiry, principal_from_claims
from app.http.problems import Problem, unauthenticated
from app.http.provider_keys import ProviderKeys

ALGORITHM = "HS256"
DEFAULT_MAX_LIFETIME = 24 * 3600.0


class Verifier:
    """Checks a token's signature and standard claims: with the shared HS256
    secret, or (when the identity provider is configured) with the provider's
    published keys and only its asymmetric algorithms."""

    def __init__(self, secret: str, identity: IdentityProvider | None = None,
                 max_lifetime: float = DEFAULT_MAX_LIFETIME):
        self.secret = secret
        self.identity = identity or IdentityProvider()
        self.max_lifetime = max_lifetime
        self.keys = ProviderKeys(self.identity) if self.identity.uses_keys else None

    def verify(self, token: str) -> tuple[Principal, float]:
        """The caller a token names and when the token expires (epoch seconds)."""
        identity = self.identity
        required = ["exp", "sub", *(["iss"] if identity.issuer else []), *(["aud"] if identity.audience else [])]
        key, algorithms = self._key_and_algorithms(token)
        try:
            claims = jwt.decode(token, key, algorithms=algorithms, audience=identity.audience,
                                issuer=identity.issuer, leeway=identity.leeway_seconds,
                                options={"require": required})
        except jwt.ExpiredSignatureError:
            raise unauthenticated("The token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise unauthenticated("The token is not valid yet.") from None
        except (jwt.InvalidIssuerError, jwt.InvalidAudienceError):
            raise unauthenticated("The token was issued by, or for, someone else.") from None
        except jwt.PyJWTError:
            raise unauthenticated("The token is not valid.") from None
        # Leeway forgives clock skew at the edges; the cached expiry allows the same.
        expires = expiry(claims, self.max_lifetime) + identity.leeway_seconds
        return principal_from_claims(claims, identity), expires

    def _key_and_algorithms(self, token: str) -> tuple[object, list[str]]:
        if self.keys is None:
            return self.secret, [ALGORITHM]
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthenticated("The token is not valid.") from None
        # Refused before any key is looked up: an HS256 token "signed" with the
        # provider's public key never reaches a key, nor makes us fetch one.
        if header.get("alg") not in self.identity.algorithms:
            raise unauthenticated("The token's signature algorithm is not accepted.")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise unauthenticated("The token's 'kid' header must be text.")
        # A PyJWK verifies with its own algorithm only, whatever the header says.
        return self.keys.signing_key(kid), list(self.identity.algorithms)


class VerifiedTokens:
    """Tokens this verifier already accepted, until they expire.

    Clients send the same token with every request; verifying its signature
    and claims again each time is costly (docs/developers/performance.md). Only tokens that
    passed verification are kept, with their expiry re-checked on every use;
    the cache is bounded and simply emptied when full.
    """

    def __init__(self, verifier: Verifier, capacity: int = 4096):
        self.verifier = verifier
        self.capacity = capacity
        self._known: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal:
        """The verified caller, or Problem('unauthenticated')."""
        known = self._known.get(token)
        if known is None:
            known = self.verifier.verify(token)
            with self._lock:
                if len(self._known) >= self.capacity:
                    self._known.clear()
                self._known[token] = known
        principal, expires = known
        if time.time() >= expires:
            self._known.pop(token, None)
            raise unauthenticated("The token has expired.")
        return principal


def principal_from_token(token: str, secret: str, max_lifetime: float = DEFAULT_MAX_LIFETIME) -> Principal:
    """The verified caller, or Problem('unauthenticated') (no caching)."""
    return Verifier(secret, max_lifetime=max_lifetime).verify(token)[0]


def bearer_token(header: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header, or Problem."""
    if not header:
        raise unauthenticated("Send Authorization: Bearer <token>.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("Send Authorization: Bearer <token>.")
    return token.strip()


def principal_from_header(header: str | None, secret: str) -> Principal:
    return principal_from_token(bearer_token(header), secret)


def mint_token(
    secret: str, *, sub: str, org: str, roles: list[str], department: str | None = None,
    approval_limit: str | None = None, ttl: timedelta = timedelta(hours=12),
) -> str:
    """A signed token for local use (`procura token`, demo data, tests)."""
    claims = {"sub": sub, "org": org, "roles": list(roles),
              "exp": datetime.now(UTC) + ttl}
    if department:
        claims["department"] = department
    if approval_limit is not None:
        claims["approval_limit"] = approval_limit
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


__all__ = ["Problem", "VerifiedTokens", "Verifier", "bearer_token", "mint_token", "principal_from_header",
           "principal_from_token"]
