"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that
verifies each delivery's Standard Webhooks signature with the secrets it
knows and records what arrived, answering as the test says."""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from testkit.server import SERVE_POLL

#: (status, headers, body) a receiver answers a delivery with.
Reply = tuple[int, dict[str, str], bytes]


@dataclass
class Received:
    webhook_id: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    at: float

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Start with `with Receiver() as r:`; `r.url` is where to send."""

    secrets: list[str] = field(default_factory=list)
    #: Called with the delivery's number (from 0) and the delivery: what to answer.
    reply: Callable[[int, Received], Reply] = lambda n, d: (200, {}, b"ok")
    path: str = "/hooks"
    #: Serve HTTPS with this context (a server certificate loaded); None: plain HTTP.
    tls: ssl.SSLContext | None = None
    #: The host named in `url`.
    host: str = "127.0.0.1"
    received: list[Received] = field(default_factory=list)

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                delivery = Received(headers.get("webhook-id", ""), headers, body, receiver.verifies(body, headers),
                                    time.monotonic())
                with receiver._lock:
                    number = len(receiver.received)
                    receiver.received.append(delivery)
                status, extra, answer = receiver.reply(number, delivery)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a sender that timed out hung up before the answer: not the test's concern

        self._lock = threading.Lock()
        self._server = Server(("127.0.0.1", 0), Handler)
        if self.tls is not None:
            self._server.socket = self.tls.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs=SERVE_POLL, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}{self.path}"

    def verifies(self, body: bytes, headers: dict[str, str]) -> bool:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                return True
            except WebhookVerificationError:
                continue
        return False

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [d.event for d in self.received]

    def deliveries(self) -> list[Received]:
        with self._lock:
            return list(self.received)
