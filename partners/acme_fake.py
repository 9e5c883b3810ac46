"""A fake Acme Supplies partner: a real HTTP server with the API `app/suppliers/acme.py` calls.

It keeps orders in memory, de-duplicates by `X-Request-Key`, decides QUEUED
orders after `decision_delay_ms`, ships accepted ones after `ship_delay_ms`,
and sends Standard Webhooks-signed callbacks, retried until they get a 2xx.
Fault switches (`POST /_faults`) make it slow, failing, throttling, declining,
or sloppy with callbacks. Besides the documented switches it has a few for
deterministic tests: `error_next`, `timeout_next`, `throttle_next` (the next
N API calls fail that way), `throttle_rate`, `retry_after_s` (the 429's
Retry-After) and `hang_ms` (how long a timed-out call is held). `GET /_calls`
lists the order calls being answered right now (caller address, clientRef)
and counts the decisions, shipments and callbacks still to come. An order
placed with a W3C `traceparent` header has its callbacks carry it on, so they
join the placement's trace.

Deliberate quirks for refusals: currencies outside ACCEPTED_CURRENCIES get
422 `CCY`; item codes starting with `BAD-` get 422 `BAD_ITEM`.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from standardwebhooks import Webhook

log = logging.getLogger("partners.acme_fake")

ACCEPTED_CURRENCIES = frozenset({"EUR", "USD", "GBP", "CHF", "SEK", "DKK", "NOK", "PLN"})
ORDERS = "/api/v2/orders"


@dataclass
class Faults:
    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    decline_rate: float = 0.0
    queue_rate: float = 0.0
    duplicate_callbacks: bool = False
    reorder_callbacks: bool = False
    decision_delay_ms: int = 200
    ship_delay_ms: int = 500
    # Fake-only extras (see module doc).
    throttle_rate: float = 0.0
    retry_after_s: int = 1
    error_next: int = 0
    timeout_next: int = 0
    throttle_next: int = 0
    hang_ms: int = 3000

    def update(self, changes: dict) -> None:
        """Apply the named switches; unknown names raise KeyError, bad types ValueError."""
        kinds = {f.name: f.type for f in fields(self)}
        for name, value in changes.items():
            kind = kinds[name]
            if kind == "bool":
                if not isinstance(value, bool):
                    raise ValueError(name)
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(name)
            setattr(self, name, {"int": int, "float": float}.get(kind, lambda v: v)(value))


class Scheduler:
    """Runs callables at their due time on a small thread pool."""

    def __init__(self):
        self._heap: list = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        #: Actions scheduled and not yet finished (0: the fake is idle).
        self.pending = 0
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="acme-fake-callbacks")
        self._thread = threading.Thread(target=self._run, name="acme-fake-scheduler", daemon=True)
        self._thread.start()

    def after(self, seconds: float, action) -> None:
        with self._cond:
            self.pending += 1
            heapq.heappush(self._heap, (time.monotonic() + seconds, next(self._seq), action))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    self._cond.wait(None if not self._heap else self._heap[0][0] - time.monotonic())
                if self._stopped:
                    return
                _, _, action = heapq.heappop(self._heap)
            self._pool.submit(self._finish, action)

    def _finish(self, action) -> None:
        try:
            action()
        finally:
            with self._cond:
                self.pending -= 1

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._pool.shutdown(wait=False, cancel_futures=True)


class AcmeFake:
    """The fake partner. `start()` serves on (host, port); port 0 picks one."""

    def __init__(self, *, api_key: str, callback_url: str, webhook_secret: str,
                 host: str = "127.0.0.1", port: int = 8100, rand=random.random):
        self.api_key = api_key
        self.callback_url = callback_url
        self.webhook = Webhook(webhook_secret)
        self.rand = rand
        self.faults = Faults()
        self.lock = threading.Lock()
        self.orders: list[dict] = []
        self.by_key: dict[str, dict] = {}
        self._numbers = itertools.count(10001)
        self._stopping = threading.Event()
        self.server = ThreadingHTTPServer((host, port), _Handler)
        self.server.daemon_threads = True
        self.server.fake = self
        self.scheduler: Scheduler | None = None
        #: Order calls being answered right now: the caller's address and the PO.
        self.calls_in_flight: list[dict] = []
        #: The W3C `traceparent` each order (by clientRef) was placed with: its callbacks carry it on.
        self.traceparents: dict[str, str] = {}

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> AcmeFake:
        self.scheduler = Scheduler()
        # Polled often: stop() waits for the next poll (0.5 s by default) before it returns.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, name="acme-fake-http",
                         daemon=True).start()
        return self

    def serve_forever(self) -> None:
        self.scheduler = Scheduler()
        try:
            self.server.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()
        if self.scheduler:
            self.scheduler.stop()

    # --- faults ---------------------------------------------------------------

    def _take(self, counter: str, rate: str) -> bool:
        """True when the next-N counter or the rate says this call gets the fault."""
        with self.lock:
            if getattr(self.faults, counter) > 0:
                setattr(self.faults, counter, getattr(self.faults, counter) - 1)
                return True
            return self.rand() < getattr(self.faults, rate)

    def api_trouble(self) -> tuple[int, dict, dict] | None:
        """Latency, throttling and errors that any API call may meet."""
        if self.faults.latency_ms:
            self._stopping.wait(self.faults.latency_ms / 1000)
        if self._take("throttle_next", "throttle_rate"):
            return 429, {"err": "SLOW_DOWN"}, {"Retry-After": str(self.faults.retry_after_s)}
        if self._take("error_next", "error_rate"):
            return 503, {"err": "UNAVAILABLE"}, {}
        return None

    # --- orders ---------------------------------------------------------------

    def place(self, key: str, body: dict, traceparent: str | None = None) -> tuple[int, dict]:
        refusal = _refusal(body)
        if refusal is not None:
            return 422, refusal
        with self.lock:
            if traceparent:
                self.traceparents[str(body["clientRef"])] = traceparent
            existing = self.by_key.get(key)
            if existing is not None:
                return 409, {"err": "DUPLICATE", "orderNo": existing["orderNo"]}
            queued = self.rand() < self.faults.queue_rate
            order = {"orderNo": f"AC-{next(self._numbers)}", "state": "QUEUED" if queued else "ACK",
                     "clientRef": str(body["clientRef"]), "requestKey": key,
                     "ticket": f"T-{uuid.uuid4().hex[:6]}",
                     "createdAt": datetime.now(UTC).isoformat()}
            self.orders.append(order)
            self.by_key[key] = order
            faults = Faults(**asdict(self.faults))
        if queued:
            self.scheduler.after(faults.decision_delay_ms / 1000, lambda: self._decide(order))
            return 202, {"state": "QUEUED", "ticket": order["ticket"]}
        self.scheduler.after(faults.ship_delay_ms / 1000, lambda: self._ship(order))
        return 200, {"orderNo": order["orderNo"], "state": "ACK"}

    def _decide(self, order: dict) -> None:
        with self.lock:
            faults = Faults(**asdict(self.faults))
            declined = self.rand() < faults.decline_rate
            order["state"] = "NACK" if declined else "ACK"
        if declined:
            self.notify({"type": "order.declined", "clientRef": order["clientRef"], "reasonCode": "OUT_OF_STOCK"})
            return
        accepted = {"type": "order.accepted", "orderNo": order["orderNo"], "clientRef": order["clientRef"]}
        if faults.reorder_callbacks:
            # The shipment notice overtakes the acceptance.
            self._ship(order)
            self.scheduler.after(0.1, lambda: self.notify(accepted))
            return
        self.notify(accepted)
        self.scheduler.after(faults.ship_delay_ms / 1000, lambda: self._ship(order))

    def _ship(self, order: dict) -> None:
        with self.lock:
            if order["state"] == "SHIPPED":
                return
            order["state"] = "SHIPPED"
        self.notify({"type": "order.shipped", "orderNo": order["orderNo"], "clientRef": order["clientRef"],
                     "trackingNo": f"1Z{order['orderNo'][3:]}{uuid.uuid4().hex[:6].upper()}"})

    def lookup(self, client_ref: str) -> list[dict]:
        with self.lock:
            return [{k: o[k] for k in ("orderNo", "state", "clientRef")}
                    for o in self.orders if o["clientRef"] == client_ref]

    # --- callbacks ------------------------------------------------------------------

    def notify(self, event: dict) -> None:
        """Send one callback (twice with `duplicate_callbacks`), retried until 2xx."""
        body = json.dumps({**event, "at": int(time.time())})
        webhook_id = f"msg_{uuid.uuid4().hex}"
        copies = 2 if self.faults.duplicate_callbacks else 1
        with self.lock:
            traced = {"traceparent": t} if (t := self.traceparents.get(event["clientRef"])) else {}
        for copy in range(copies):
            self.scheduler.after(0.05 * copy, lambda: self._deliver(webhook_id, body, 0, traced))

    def _deliver(self, webhook_id: str, body: str, attempt: int, traced: dict | None = None) -> None:
        if self._stopping.is_set():
            return
        now = datetime.now(UTC)
        headers = {"Content-Type": "application/json", "webhook-id": webhook_id,
                   "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": self.webhook.sign(webhook_id, now, body), **(traced or {})}
        try:
            answer = requests.post(self.callback_url, data=body.encode(), headers=headers, timeout=5)
            if 200 <= answer.status_code < 300:
                return
            log.info("callback %s answered %s", webhook_id, answer.status_code)
        except requests.RequestException as error:
            log.info("callback %s failed: %s", webhook_id, error)
        self.scheduler.after(min(5.0, 0.1 * 2 ** attempt),
                             lambda: self._deliver(webhook_id, body, attempt + 1, traced))


def _refusal(body: dict) -> dict | None:
    if body.get("ccy") not in ACCEPTED_CURRENCIES:
        return {"err": "CCY"}
    for item in body.get("items") or []:
        if str(item.get("code", "")).startswith("BAD-") or int(item.get("qty", 0)) < 1:
            return {"err": "BAD_ITEM", "code": item.get("code")}
    return None


def _valid_order(body) -> bool:
    return (isinstance(body, dict) and isinstance(body.get("clientRef"), str)
            and isinstance(body.get("items"), list) and bool(body["items"])
            and all(isinstance(i, dict) and isinstance(i.get("priceCents"), int) for i in body["items"]))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AcmeFake/1.0"

    @property
    def fake(self) -> AcmeFake:
        return self.server.fake

    def log_message(self, fmt, *args) -> None:
        log.debug(fmt, *args)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw or b"null")
        except ValueError:
            return None

    def _send(self, status: int, body: dict | None = None, headers: dict | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout we caused)

    def _authorised(self) -> bool:
        if self.headers.get("X-Api-Key") != self.fake.api_key:
            self._send(401, {"err": "AUTH"})
            return False
        return True

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == "/_orders":
            with self.fake.lock:
                return self._send(200, {"orders": [dict(o) for o in self.fake.orders]})
        if url.path == "/_faults":
            return self._send(200, asdict(self.fake.faults))
        if url.path == "/_calls":
            with self.fake.lock:
                calls = list(self.fake.calls_in_flight)
            return self._send(200, {"in_flight": calls, "scheduled": self.fake.scheduler.pending})
        if url.path != ORDERS:
            return self._send(404, {"err": "NOT_FOUND"})
        if not self._authorised():
            return None
        trouble = self.fake.api_trouble()
        if trouble:
            return self._send(*trouble)
        client_ref = (parse_qs(url.query).get("clientRef") or [""])[0]
        return self._send(200, {"orders": self.fake.lookup(client_ref)})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        body = self._body()
        if path == "/_faults":
            return self._set_faults(body)
        if path != ORDERS:
            return self._send(404, {"err": "NOT_FOUND"})
        if not self._authorised():
            return None
        call = {"from": self.client_address[0],
                "client_ref": body.get("clientRef") if isinstance(body, dict) else None}
        with self.fake.lock:
            self.fake.calls_in_flight.append(call)
        try:
            return self._order(body)
        finally:
            with self.fake.lock:
                self.fake.calls_in_flight.remove(call)

    def _order(self, body) -> None:
        trouble = self.fake.api_trouble()
        if trouble:
            return self._send(*trouble)
        key = self.headers.get("X-Request-Key")
        if not key or not _valid_order(body):
            return self._send(400, {"err": "BAD_REQUEST"})
        status, answer = self.fake.place(key, body, self.headers.get("traceparent"))
        if status in (200, 202) and self.fake._take("timeout_next", "timeout_rate"):
            # The order exists, but the answer comes too late for the client.
            self.fake._stopping.wait(self.fake.faults.hang_ms / 1000)
        return self._send(status, answer)

    def do_DELETE(self) -> None:
        if urlsplit(self.path).path != "/_faults":
            return self._send(404, {"err": "NOT_FOUND"})
        with self.fake.lock:
            self.fake.faults = Faults()
        return self._send(200, asdict(self.fake.faults))

    def _set_faults(self, body) -> None:
        if not isinstance(body, dict):
            return self._send(400, {"err": "BAD_REQUEST"})
        with self.fake.lock:
            try:
                self.fake.faults.update(body)
            except (KeyError, ValueError) as error:
                return self._send(400, {"err": "BAD_SWITCH", "switch": str(error.args[0] if error.args else "")})
            return self._send(200, asdict(self.fake.faults))
