"""Bearer tokens: HS256 JWTs verified with PyJWT into a Principal.

Every failure is the same 401 to the client; the `detail` says only which
part of the token was unacceptable, never anything about the server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jwt

from aggregates.money import parse_amount
from aggregates.policy import ROLES, Principal
from app.http.problems import Problem, unauthenticated

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["exp", "sub", "org", "roles"]


def _claim_text(claims: dict, name: str, *, required: bool) -> str | None:
    value = claims.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise unauthenticated(f"The token's '{name}' claim is missing or invalid.")
    return value


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


def principal_from_token(token: str, secret: str) -> Principal:
    """The verified caller, or Problem('unauthenticated')."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise unauthenticated("The token has expired.") from None
    except jwt.PyJWTError:
        raise unauthenticated("The token is not valid.") from None
    return Principal(
        sub=_claim_text(claims, "sub", required=True),
        org=_claim_text(claims, "org", required=True),
        roles=_roles(claims),
        department=_claim_text(claims, "department", required=False),
        approval_limit=_approval_limit(claims),
    )


def principal_from_header(header: str | None, secret: str) -> Principal:
    if not header:
        raise unauthenticated("Send Authorization: Bearer <token>.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("Send Authorization: Bearer <token>.")
    return principal_from_token(token.strip(), secret)


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


__all__ = ["Problem", "mint_token", "principal_from_header", "principal_from_token"]
