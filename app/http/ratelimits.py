"""Rate limits per caller, separately for commands (POST) and reads (GET).

The `limits` library counts (a sliding window counter per caller and kind)
and stores the counts: in this process's memory by default, in Redis with
`PROCURA_RATE_LIMIT_STORAGE=redis://...`, so that a limit holds across
processes and hosts. A caller is `org/sub` from the verified token; open
routes (health, metrics, callbacks, docs) are never limited.

A breach is 429 `rate-limited` with `Retry-After`; every limited answer
carries the IETF `RateLimit-Policy` and `RateLimit` headers. When the store
fails (Redis down), requests are let through: a limit is a protection, not a
dependency, so its outage must not become Procura's. That is logged (at most
every 10 s) and counted in `procura_rate_limit_storage_errors_total`.
"""

from __future__ import annotations

import logging
import math
import threading
import time

from flask import Response, current_app, g, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from app.config import Settings
from app.http.problems import Problem
from app.telemetry.metrics import made_once

log = logging.getLogger("procura.ratelimits")

COMMANDS, READS = "commands", "reads"
#: A store that answers slower than this counts as down (the request goes through).
STORAGE_TIMEOUT_SECONDS = 0.25
WARNING_INTERVAL_SECONDS = 10.0


class RateLimits:
    """The limits of one process (None: that kind is not limited)."""

    def __init__(self, commands: str | None, reads: str | None, storage_uri: str):
        self.items: dict[str, RateLimitItem | None] = {
            COMMANDS: parse(commands) if commands else None, READS: parse(reads) if reads else None}
        options = ({"socket_timeout": STORAGE_TIMEOUT_SECONDS, "socket_connect_timeout": STORAGE_TIMEOUT_SECONDS}
                   if storage_uri.startswith("redis") else {})
        self.limiter = SlidingWindowCounterRateLimiter(storage_from_string(storage_uri, **options))
        self._warned_at = 0.0
        self._lock = threading.Lock()

    @property
    def enforced(self) -> bool:
        """Whether any kind of request is limited."""
        return any(item is not None for item in self.items.values())

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(settings.rate_limit_commands, settings.rate_limit_reads, settings.rate_limit_storage)

    def admit(self, kind: str, caller: str) -> dict[str, str]:
        """Count one request of `kind` by `caller`; the headers to send with
        its answer. Raises Problem('rate-limited') when the limit is reached."""
        item = self.items[kind]
        if item is None:
            return {}
        try:
            allowed = self.limiter.hit(item, kind, caller)
            reset_at, remaining = self.limiter.get_window_stats(item, kind, caller)
        except Exception as error:  # whatever the store raises: fail open
            self._storage_failed(error)
            return {}
        seconds = max(1, math.ceil(reset_at - time.time()))
        headers = {"RateLimit-Policy": f'"{kind}";q={item.amount};w={item.get_expiry()}',
                   "RateLimit": f'"{kind}";r={max(0, remaining)};t={seconds}'}
        if not allowed:
            _rate_limited_counter().labels(kind).inc()
            raise Problem("rate-limited", f"Too many {kind} from you: at most {item.amount} per "
                          f"{item.get_expiry()} s. Retry after {seconds} s.",
                          headers={**headers, "Retry-After": str(seconds)})
        return headers

    def _storage_failed(self, error: Exception) -> None:
        _storage_errors_counter().inc()
        with self._lock:
            now = time.monotonic()
            if now - self._warned_at < WARNING_INTERVAL_SECONDS:
                return
            self._warned_at = now
        log.warning("rate limits not enforced: the store failed (%s: %s); requests go through",
                    type(error).__name__, str(error).splitlines()[0] if str(error) else "")


def limit_request() -> None:
    """before_request hook (after authentication): count the caller's request."""
    principal = g.get("principal")
    if principal is None:  # an open route
        return
    limits: RateLimits = current_app.extensions["procura.ratelimits"]
    kind = READS if request.method in ("GET", "HEAD", "OPTIONS") else COMMANDS
    g.rate_limit_headers = limits.admit(kind, principal.caller)


def add_rate_limit_headers(response: Response) -> Response:
    """after_request hook: the RateLimit headers of the request's kind."""
    for name, value in (g.get("rate_limit_headers") or {}).items():
        response.headers[name] = value
    return response


@made_once
def _rate_limited_counter():
    from prometheus_client import Counter

    return Counter("procura_rate_limited_total", "Requests refused 429 by kind", ["kind"])


@made_once
def _storage_errors_counter():
    from prometheus_client import Counter

    return Counter("procura_rate_limit_storage_errors_total",
                   "Rate-limit checks skipped because the store failed (requests went through)")
