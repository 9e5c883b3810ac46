"""Bearer tokens: HS256 JWTs verified with PyJWT into a Principal.

Every failure is the same 401 to the client; the `detail` says only which
part of the token was unacceptable, never anything about the server.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jwt

from aggregates.money import parse_amount
from aggregates.policy import ROLES, Principal
from app.http.problems import Problem, unauthenticated

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "sub", "org", "roles"]
TIME_CLAIMS = ("exp", "nbf", "iat")
DEFAULT_MAX_LIFETIME = 24 * 3600.0
#: Control characters and lone surrogates: no identifier holds them, and
#: PostgreSQL text and log lines cannot.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _claim_text(claims: dict, name: str, *, required: bool) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200 or _UNPRINTABLE.search(value):
        raise unauthenticated(f"The token's '{name}' claim is missing or invalid.")
    return value


def _times(claims: dict, max_lifetime: float) -> float:
    """The token's expiry (epoch seconds). Time claims must be JSON numbers
    (PyJWT also takes numeric strings), and `exp` may lie at most
    `max_lifetime` seconds after `iat` (or after now, without `iat`)."""
    for name in TIME_CLAIMS:
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise unauthenticated(f"The token's '{name}' claim must be a number of seconds since the epoch.")
    expires = float(claims["exp"])
    if expires - float(claims.get("iat", time.time())) > max_lifetime:
        raise unauthenticated(f"The token lives longer than this server accepts ({int(max_lifetime)} s).")
    return expires


def _roles(claims: dict) -> frozenset[str]:
    roles = claims.get("roles")
    if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
        raise unauthenticated("The token's 'roles' claim must be a non-empty list.")
    unknown = set(roles) - ROLES
    if unknown:
        raise unauthenticated("The token names an unknown role.")
    return frozenset(roles)


def _approval_limit(claims: dict) -> Decimal | None:
    raw = claims.get("approval_limit")
    if raw is None:
        return None
    limit = parse_amount(raw) if isinstance(raw, str) else None
    if limit is None or limit < 0:
        raise unauthenticated("The token's 'approval_limit' must be a decimal string.")
    return limit


def _verify(token: str, secret: str, max_lifetime: float) -> tuple[Principal, float]:
    """The caller a token names and when the token expires (epoch seconds)."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise unauthenticated("The token has expired.") from None
    except jwt.PyJWTError:
        raise unauthenticated("The token is not valid.") from None
    expires = _times(claims, max_lifetime)
    principal = Principal(
        sub=_claim_text(claims, "sub", required=True),
        org=_claim_text(claims, "org", required=True),
        roles=_roles(claims),
        department=_claim_text(claims, "department", required=False),
        approval_limit=_approval_limit(claims),
    )
    return principal, expires


class VerifiedTokens:
    """Tokens already verified with this secret, until they expire.

    Clients send the same token with every request; verifying its signature
    and claims again each time is costly (docs/performance.md). Only tokens that
    passed verification are kept, with their expiry re-checked on every use;
    the cache is bounded and simply emptied when full.
    """

    def __init__(self, secret: str, max_lifetime: float = DEFAULT_MAX_LIFETIME, capacity: int = 4096):
        self.secret = secret
        self.max_lifetime = max_lifetime
        self.capacity = capacity
        self._known: dict[str, tuple[Principal, float]] = {}
        self._lock = threading.Lock()

    def principal(self, token: str) -> Principal:
        """The verified caller, or Problem('unauthenticated')."""
        known = self._known.get(token)
        if known is None:
            known = _verify(token, self.secret, self.max_lifetime)
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
    return _verify(token, secret, max_lifetime)[0]


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


__all__ = ["Problem", "VerifiedTokens", "bearer_token", "mint_token", "principal_from_header",
           "principal_from_token"]
