"""An identity provider's signing keys: fetched from its JWKS (found through
OpenID discovery when only the issuer is configured), cached per process and
looked up by `kid`.

A `kid` not in the cache refreshes the set, so rotated keys are picked up
without a restart; refreshes are at most one per refresh interval, so a flood
of made-up `kid`s cannot hammer the provider. A failed refresh keeps the keys
already fetched.

One request fetches at a time and the others do not wait for it: while a
fetch is under way they are answered with the keys at hand (an unknown `kid`
is 401 at once), so a slow provider costs one request slot for at most the
fetch timeout, not one per request. Only a process with no keys yet waits
for the fetch under way (once, bounded), so that a worker started under load
does not answer 503 to valid tokens while its first fetch runs.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.request
from urllib.parse import urlsplit

import jwt
from jwt import PyJWK, PyJWKClient

from app.config import IdentityProvider
from app.http.problems import unauthenticated
from app.service.errors import DependencyUnavailable

log = logging.getLogger(__name__)

IDENTITY_PROVIDER = "identity provider"
#: Each network step of a fetch (connect, each read) may take this long: a
#: provider answers its JWKS in milliseconds, and the fetching request holds a
#: request slot while it waits.
FETCH_TIMEOUT_SECONDS = 1.5
#: How long a process without any key waits for another request's fetch
#: (its discovery and its JWKS, each within FETCH_TIMEOUT_SECONDS).
FIRST_FETCH_WAIT_SECONDS = 2 * FETCH_TIMEOUT_SECONDS
#: Keys older than this are refetched on use even when the `kid` is known, so
#: a key the provider retired stops working within the hour.
KEYS_MAX_AGE_SECONDS = 3600
#: Errors a fetch can end in: network, HTTP, JSON, or a set without usable keys.
_FETCH_ERRORS = (jwt.PyJWTError, OSError, ValueError)


class ProviderKeys:
    """The provider's public keys by `kid`, fetched on first use."""

    def __init__(self, identity: IdentityProvider, clock=time.monotonic):
        self.identity = identity
        self._clock = clock
        self._jwks_url = identity.jwks_url
        self._keys: dict[str | None, PyJWK] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None
        self._attempts = 0  # fetches begun, so that a request that waited for one does not fetch again
        self._lock = threading.Lock()

    def signing_key(self, kid: str | None) -> PyJWK:
        """The published key named `kid` (a token without `kid`: the only key).

        Raises Problem('unauthenticated') for a key the provider does not
        publish, and DependencyUnavailable while no key could ever be fetched.
        """
        key = self._fresh(kid)
        if key is None:
            key = self._refreshed(kid)
        if key is not None:
            return key
        if self._keys is None:
            raise DependencyUnavailable(IDENTITY_PROVIDER)
        raise unauthenticated("The token is signed with a key the identity provider does not publish.")

    def _refreshed(self, kid: str | None) -> PyJWK | None:
        """The key after fetching the set when a fetch is due. While another
        request is fetching, the key at hand (even one past its age), at
        once: waiting for that fetch would hold this request's slot too. Only
        a process that has no keys at all (just started) waits for the fetch
        under way, at most FIRST_FETCH_WAIT_SECONDS, rather than answer 503."""
        attempts = self._attempts
        if self._keys is None:
            acquired = self._lock.acquire(timeout=FIRST_FETCH_WAIT_SECONDS)
        else:
            acquired = self._lock.acquire(blocking=False)
        if not acquired:
            return (self._keys or {}).get(kid)
        try:
            key = self._fresh(kid)
            if key is None and self._attempts == attempts:  # nobody fetched while this request waited
                self._refresh_if_due()
            return key if key is not None else (self._keys or {}).get(kid)
        finally:
            self._lock.release()

    def _fresh(self, kid: str | None) -> PyJWK | None:
        keys = self._keys
        if keys is None or self._clock() - self._fetched_at > KEYS_MAX_AGE_SECONDS:
            return None
        return keys.get(kid)

    def _refresh_if_due(self) -> None:
        now = self._clock()
        if self._attempted_at is not None and now - self._attempted_at < self.identity.refresh_interval_seconds:
            return
        self._attempted_at = now
        self._attempts += 1
        try:
            keys = self._fetch()
        except _FETCH_ERRORS as error:
            log.warning("identity provider keys could not be fetched: %s", error)
            return
        self._keys, self._fetched_at = keys, now

    def _fetch(self) -> dict[str | None, PyJWK]:
        url = self._jwks_url or self._discover()
        client = PyJWKClient(url, cache_jwk_set=False, timeout=FETCH_TIMEOUT_SECONDS)
        keys = [k for k in client.get_jwk_set(refresh=True).keys if k.public_key_use in (None, "sig")]
        by_kid: dict[str | None, PyJWK] = {k.key_id: k for k in keys}
        if len(keys) == 1:  # a token without `kid` can only mean this one
            by_kid.setdefault(None, keys[0])
        return by_kid

    def _discover(self) -> str:
        """The `jwks_uri` of the issuer's OpenID configuration (kept once found)."""
        url = self.identity.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECONDS) as response:
            document = json.load(response)
        jwks_uri = document.get("jwks_uri") if isinstance(document, dict) else None
        if not isinstance(jwks_uri, str) or urlsplit(jwks_uri).scheme not in ("http", "https"):
            raise ValueError(f"{url} names no http(s) jwks_uri")
        self._jwks_url = jwks_uri
        return jwks_uri
