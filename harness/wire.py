"""HTTP as the harness speaks it: recorded exchanges over requests, and raw
sockets for what requests would sanitise (bad header bytes, dropped
connections, trickled bodies)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Exchange:
    """One request and what came back (status None: no answer was read)."""

    kind: str  # command, resend, resend-concurrent, resend-after-drop, stale, race, read
    sub: str
    method: str
    path: str
    key: str | None
    if_match: int | None
    body: bytes | None
    started: float  # monotonic
    ended: float | None = None
    wall_ended: float | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    dropped: bool = False
    #: The client sent this request again (same key) because this attempt got
    #: no answer or a retry-later 503: the later attempt's answer stands for it.
    retried: bool = False
    base: str = ""  # the API it went to

    @property
    def replayed(self) -> bool:
        return self.headers.get("idempotent-replayed") == "true"

    def problem_slug(self) -> str | None:
        import json

        if not self.headers.get("content-type", "").startswith("application/problem+json"):
            return None
        try:
            return json.loads(self.content)["type"].removeprefix("/problems/")
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class Journal:
    """Every exchange of a run, appended from many threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.exchanges: list[Exchange] = []

    def add(self, exchange: Exchange) -> Exchange:
        with self._lock:
            self.exchanges.append(exchange)
        return exchange


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes


def raw_request(base: str, data: bytes, *, timeout: float = 30.0, trickle: list[bytes] | None = None,
                pause: float = 0.0, half_close: bool = False) -> RawResponse | None:
    """Send `data` (a whole HTTP/1.1 request, `Connection: close`) and read the
    answer; `trickle` chunks follow one by one, `pause` seconds apart."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            for chunk in trickle or ():
                time.sleep(pause)  # input shaping (a slow client), not synchronisation
                sock.sendall(chunk)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered before the whole request was sent (a 413 at once): read that answer, as curl does
        received = b""
        while True:
            try:
                piece = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not piece:
                break
            received += piece
    return parse_response(received)


def send_and_drop(base: str, data: bytes) -> None:
    """Send a whole request and close the socket without reading the answer."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)


def parse_response(received: bytes) -> RawResponse | None:
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    if not lines or not lines[0].startswith(b"HTTP/"):
        return None
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return RawResponse(status, headers, body)


def build_request(method: str, path: str, base: str, headers: dict[str, str] | list[tuple[bytes, bytes]],
                  body: bytes | None = None) -> bytes:
    """The bytes of one HTTP/1.1 request; header names/values go out as given."""
    host = urlsplit(base).netloc
    pairs = headers if isinstance(headers, list) else [(k.encode(), v.encode("latin-1")) for k, v in headers.items()]
    lines = [f"{method} {path} HTTP/1.1".encode("latin-1"), b"Host: " + host.encode(), b"Connection: close"]
    lines += [name + b": " + value for name, value in pairs]
    if body is not None:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")
