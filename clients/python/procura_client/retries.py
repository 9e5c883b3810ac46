"""Retries below the generated client, in its httpx transport: every call it
makes is retried the way the contract allows, with the request exactly as
first sent (its Idempotency-Key included, so a retried command is applied
at most once).

- A connection that failed before the request was sent: always retried.
- A connection lost after it was sent (the answer never came): retried when
  the request is safe to repeat: a read, or a command with an Idempotency-Key.
- 429 and 503: retried after `Retry-After` seconds (or a growing backoff
  without it): the server did nothing. A gateway's 502 or 504 likewise, for
  a repeatable request.
- 409 `idempotency-key-in-flight`: the same command still runs; retried
  after its `Retry-After`, when the stored answer is there.
- Any other answer, 4xx above all, is returned at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

RETRIED_STATUSES = frozenset({429, 502, 503, 504})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry: at most `attempts` sends, waiting
    `Retry-After` when the server says (an answer asking for more than
    `max_wait` seconds is returned, not retried early), else a backoff from
    `backoff` seconds, doubling. `sleep` is called with each wait (seconds):
    pass your own to log them."""

    attempts: int = 6
    backoff: float = 0.2
    max_wait: float = 30.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def wait(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before retry number `attempt` (1-based): the server's
        Retry-After when it gave one, else exponential backoff with jitter."""
        if retry_after is not None:
            return retry_after
        return min(self.backoff * 2.0 ** (attempt - 1) * (0.5 + random.random() / 2), self.max_wait)


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), when given."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def repeatable(request: httpx.Request) -> bool:
    """Whether sending `request` twice does what sending it once does."""
    return request.method in SAFE_METHODS or "Idempotency-Key" in request.headers


def _in_flight(response: httpx.Response) -> bool:
    if response.status_code != 409:
        return False
    response.read()
    return b"idempotency-key-in-flight" in response.content


class RetryingTransport(httpx.BaseTransport):
    """Wraps a transport (default: httpx's own) with `policy`'s retries."""

    def __init__(self, policy: RetryPolicy | None = None, inner: httpx.BaseTransport | None = None):
        self.policy = policy or RetryPolicy()
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self.policy.attempts
            try:
                response = self.inner.handle_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                # Never sent: safe for any request.
                if last:
                    raise
                self.policy.sleep(self.policy.wait(attempt, None))
                continue
            except httpx.TransportError:
                # Sent, and the answer lost: only a repeatable request may go again.
                if last or not repeatable(request):
                    raise
                self.policy.sleep(self.policy.wait(attempt, None))
                continue
            asked = retry_after(response)
            # A Retry-After longer than the policy waits is honoured by not retrying early.
            if last or not self._retried(request, response) or (asked or 0) > self.policy.max_wait:
                return response
            wait = self.policy.wait(attempt, asked)
            response.read()
            response.close()
            self.policy.sleep(wait)

    @staticmethod
    def _retried(request: httpx.Request, response: httpx.Response) -> bool:
        # A gateway's 502 or 504 may come after the server acted: only a repeatable request goes again.
        if response.status_code in (502, 504):
            return repeatable(request)
        return response.status_code in RETRIED_STATUSES or _in_flight(response)

    def close(self) -> None:
        self.inner.close()
