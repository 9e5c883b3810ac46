"""From a verified token's claims to the caller (a Principal), along the
claim paths and role map the configuration names."""

from __future__ import annotations

import re
import time
from decimal import Decimal

from aggregates.money import parse_amount
from aggregates.policy import ROLES, Principal
from app.config import IdentityProvider
from app.http.problems import unauthenticated
from app.persistence.command_records import CALLBACK_ORG_PREFIX, is_callback_org

TIME_CLAIMS = ("exp", "nbf", "iat")
#: Control characters and lone surrogates: no identifier holds them, and
#: PostgreSQL text and log lines cannot.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def claim(claims: dict, path: str) -> object:
    """The claim named `path` at the top level (namespaced names such as
    `https://procura.example/roles` hold dots), else the value at its dotted
    path through nested objects, else None."""
    if path in claims:
        return claims[path]
    value: object = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _text(claims: dict, path: str, *, required: bool) -> str | None:
    value = claim(claims, path)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > 200 or _UNPRINTABLE.search(value):
        raise unauthenticated(f"The token's '{path}' claim is missing or invalid.")
    return value


def expiry(claims: dict, max_lifetime: float) -> float:
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


def _roles(claims: dict, identity: IdentityProvider) -> frozenset[str]:
    """Procura's roles among the token's. A provider lists roles of its own
    (Keycloak's `offline_access`) that are ignored; a token we minted with
    our own secret must name only Procura roles."""
    path = identity.claims.roles
    named = claim(claims, path)
    if not isinstance(named, list) or not named or not all(isinstance(r, str) for r in named):
        raise unauthenticated(f"The token's '{path}' claim must be a non-empty list.")
    roles = {identity.role_map.get(r, r) for r in named}
    if identity.uses_keys:
        roles &= ROLES
        if not roles:
            raise unauthenticated("The token names no Procura role.")
    elif roles - ROLES:
        raise unauthenticated("The token names an unknown role.")
    return frozenset(roles)


def _approval_limit(claims: dict, path: str) -> Decimal | None:
    raw = claim(claims, path)
    if raw is None:
        return None
    limit = parse_amount(raw) if isinstance(raw, str) else None
    if limit is None or limit < 0:
        raise unauthenticated(f"The token's '{path}' must be a decimal string.")
    return limit


def _tenant(org: str, path: str) -> str:
    """`org`, unless it is a namespace Procura keeps for itself: `supplier:<id>`
    holds the suppliers' callback records, which no tenant may read."""
    if is_callback_org(org):
        raise unauthenticated(f"The token's '{path}' claim names an organisation in a namespace Procura "
                              f"reserves ('{CALLBACK_ORG_PREFIX}...', for supplier callbacks).")
    return org


def principal_from_claims(claims: dict, identity: IdentityProvider) -> Principal:
    """The caller verified claims name, or Problem('unauthenticated')."""
    paths = identity.claims
    return Principal(
        sub=_text(claims, "sub", required=True),
        org=_tenant(_text(claims, paths.org, required=True), paths.org),
        roles=_roles(claims, identity),
        department=_text(claims, paths.department, required=False),
        approval_limit=_approval_limit(claims, paths.approval_limit),
    )
