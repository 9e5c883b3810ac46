"""Sending deliveries: threads in `procura worker` claim due deliveries from
the outbox and POST each, signed the Standard Webhooks way, to its endpoint.

- Every attempt of a delivery carries the same webhook-id; the signature
  header holds one signature per secret in use (two for 24 h after a rotation).
- The host is resolved and checked by the SSRF guard at every attempt, and
  the request goes to the very address checked; redirects are never followed.
- Each request is bounded by the timeout as a whole (a watchdog closes the
  socket), and each worker process sends at most `per_endpoint` requests to
  one endpoint at once, so a slow or dead endpoint holds a few threads, never
  every delivery.
- A 2xx delivers. Connection errors, timeouts, refused addresses, 5xx and 429
  are retried on the schedule (429's and 503's Retry-After is honoured);
  any other answer gives the delivery up at once, as does the schedule's
  end. 410 Gone disables the endpoint (its deliveries wait, pending, for it
  to be enabled again). An endpoint whose every attempt has failed for
  `disable_after` is disabled with the reason recorded.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from standardwebhooks.webhooks import Webhook

from app.config import WebhookTuning
from app.polling import Pollers
from app.telemetry import tracing
from app.telemetry.metrics import count_webhook_attempt
from app.webhooks.endpoints import Endpoint, Endpoints, wall_clock
from app.webhooks.guard import Resolver, Target, UrlRefused, addresses, parse, system_resolver
from app.webhooks.outbox import DELIVERED, FAILED, PENDING, RESPONSE_BYTES, AttemptRecord, Deliveries, Delivery
from projections.wakeups import Notifications

log = logging.getLogger("procura.webhooks")
USER_AGENT = "Procura-Webhooks/1"
#: The longest Retry-After honoured.
MAX_RETRY_AFTER = 24 * 3600.0
#: A lease outlives the longest request by this much (a crashed sender's rows come back after it).
LEASE_MARGIN = 5.0


@dataclass(frozen=True)
class Answer:
    status: int | None
    error: str | None = None
    body: bytes = b""
    retry_after: float | None = None


def sign(endpoint_secrets: list[str], msg_id: str, moment: datetime, payload: bytes) -> str:
    """The webhook-signature header: one `v1,<base64>` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(msg_id, moment, payload) for secret in endpoint_secrets)


def _retry_after(value: str | None, now: datetime) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, min((when - now).total_seconds(), MAX_RETRY_AFTER))


def post(target: Target, address: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    """POST `body` to `target` at `address`, never following a redirect; the
    whole exchange ends within `timeout` (the watchdog closes the socket)."""
    sock: socket.socket | None = None
    watchdog: threading.Timer | None = None
    try:
        sock = socket.create_connection((address, target.port), timeout=timeout)
        if target.scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=target.host)
        watchdog = threading.Timer(timeout, _shut, (sock,))
        watchdog.daemon = True
        watchdog.start()
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        connection.sock = sock
        connection.request("POST", target.path, body=body, headers={**headers, "Host": target.host_header})
        response = connection.getresponse()
        answer = response.read(RESPONSE_BYTES)
        return Answer(response.status, body=answer,
                      retry_after=_retry_after(response.getheader("Retry-After"), datetime.now(UTC)))
    except (OSError, http.client.HTTPException, ValueError) as error:
        timed_out = isinstance(error, TimeoutError) or (watchdog is not None and watchdog.finished.is_set())
        return Answer(None, f"timed out after {timeout:g} s" if timed_out else f"{type(error).__name__}: {error}")
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if sock is not None:
            sock.close()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


@dataclass
class WebhookSender:
    """Threads that claim due deliveries and send them (module doc)."""

    deliveries: Deliveries
    endpoints: Endpoints
    tuning: WebhookTuning
    clock: Callable[[], datetime] = wall_clock
    resolver: Resolver | None = None
    idle_wait: float = 0.1
    send: Callable[..., Answer] = post
    #: The traceparent the event at a position was stored under (set when tracing is on).
    trace_context: Callable[[int], str | None] | None = None
    _busy: Counter = field(default_factory=Counter)

    def __post_init__(self):
        self.resolver = self.resolver or system_resolver(self.tuning.timeout)
        self._lock = threading.Lock()
        self._pollers = Pollers("procura-webhooks", self.tuning.threads, self.run_once, self.idle_wait)
        self._wakeups: Notifications | None = None

    # --- running ------------------------------------------------------------

    def start(self, wakeups: Notifications | None = None) -> WebhookSender:
        """Run the threads; `wakeups` (a LISTEN on DELIVERIES_CHANNEL) wakes them when deliveries are queued."""
        self._wakeups = wakeups
        if wakeups is not None:
            wakeups.add(self._pollers)
            wakeups.start()
        self._pollers.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; each thread finishes the attempt in hand first."""
        if self._wakeups is not None:
            self._wakeups.stop()
        self._pollers.stop(timeout)

    def run_once(self) -> bool:
        """Send one due delivery; False when none was due."""
        now = self.clock()
        with self._lock:
            busy = [e for e, n in self._busy.items() if n >= self.tuning.per_endpoint]
        if not self.deliveries.due(now):
            return False
        claimed = self.deliveries.claim(now, now + timedelta(seconds=self.tuning.timeout + LEASE_MARGIN), busy)
        if claimed is None:
            return False
        delivery, endpoint = claimed
        if endpoint is None or not endpoint.enabled:
            self.deliveries.release(delivery)
            return True
        with self._lock:
            self._busy[endpoint.id] += 1
        try:
            with tracing.span("deliver webhook", parent=self._stored_under(delivery),
                              attributes={"procura.webhook_id": delivery.webhook_id,
                                          "procura.endpoint_id": endpoint.id, "procura.event_type": delivery.type}):
                self._deliver(delivery, endpoint)
        finally:
            with self._lock:
                self._busy[endpoint.id] -= 1
                if not self._busy[endpoint.id]:
                    del self._busy[endpoint.id]
        return True

    def _stored_under(self, delivery: Delivery) -> str | None:
        """The delivery's event's trace context: its attempts join that request's trace."""
        return None if self.trace_context is None else self.trace_context(int(delivery.position))

    # --- one attempt --------------------------------------------------------

    def _deliver(self, delivery: Delivery, endpoint: Endpoint) -> None:
        started = time.monotonic()
        answer = self._attempt(delivery, endpoint)
        now = self.clock()
        latency = int((time.monotonic() - started) * 1000)
        status = answer.status
        error = answer.error or (None if status is None or 200 <= status < 300 else f"answered {status}")
        record = AttemptRecord(now, status, latency, error,
                               answer.body.decode("utf-8", "replace") if answer.body else None)
        log.info("webhook %s to endpoint %s: %s", delivery.webhook_id, endpoint.id, status or error,
                 extra={"fields": {"webhook_id": delivery.webhook_id, "endpoint_id": endpoint.id,
                                   "status": status, "latency_ms": latency}})
        if status is not None and 200 <= status < 300:
            count_webhook_attempt("delivered", latency / 1000)
            self.deliveries.record(delivery, record, state=DELIVERED, attempts=delivery.attempts + 1,
                                   next_attempt_at=now)
            if endpoint.failing_since is not None:
                self.endpoints.succeeded(endpoint.id)
            return
        if status == 410:
            # Gone: the endpoint is disabled; this delivery waits for it to be enabled again.
            count_webhook_attempt("gone", latency / 1000)
            self.deliveries.record(delivery, record, state=PENDING, attempts=delivery.attempts, next_attempt_at=now)
            self.endpoints.disable(endpoint.id, f"the endpoint answered 410 Gone at {record.at.isoformat()}")
            return
        attempts = delivery.attempts + 1
        retryable = status is None or status >= 500 or status == 429
        schedule = self.tuning.schedule
        if retryable and attempts < len(schedule):
            count_webhook_attempt("retried", latency / 1000)
            wait = max(schedule[attempts], answer.retry_after or 0.0)
            self.deliveries.record(delivery, record, state=PENDING, attempts=attempts,
                                   next_attempt_at=now + timedelta(seconds=wait))
        else:
            count_webhook_attempt("failed", latency / 1000)
            self.deliveries.record(delivery, record, state=FAILED, attempts=attempts, next_attempt_at=now)
        reason = self.endpoints.failed(endpoint.id, now, self.tuning.disable_after)
        if reason:
            log.warning("webhook endpoint %s disabled: %s", endpoint.id, reason)

    def _attempt(self, delivery: Delivery, endpoint: Endpoint) -> Answer:
        allow = self.tuning.allow_hosts
        try:
            target = parse(endpoint.url, allow)
            address = addresses(target, allow, self.resolver)[0]
        except UrlRefused as refused:
            return Answer(None, f"refused: {refused.detail}")
        payload = delivery.payload.encode()
        moment = datetime.now(UTC)  # the receiver checks the timestamp against its own clock
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "webhook-id": delivery.webhook_id, "webhook-timestamp": str(int(moment.timestamp())),
                   "webhook-signature": sign(endpoint.signing_secrets(self.clock()), delivery.webhook_id,
                                             moment, payload)}
        current = tracing.traceparent()
        if current is not None:
            headers["traceparent"] = current
        return self.send(target, address, payload, headers, self.tuning.timeout)
