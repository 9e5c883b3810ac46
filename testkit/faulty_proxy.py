"""A TCP proxy in front of a server that, once, does what a network does to a
client: loses an answer after the server sent it, or answers for the server
(a gateway's 503). Everything else passes through unchanged."""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass


@dataclass
class _Fault:
    prefix: bytes  # the start of the request line it takes (b"POST /purchase-orders ")
    answer: bytes | None  # None: forward, then drop the server's answer


class FaultyProxy:
    """`with FaultyProxy(port) as proxy:` listens at `proxy.url`, forwarding to 127.0.0.1:`port`."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.faults_done = 0
        #: Answers the server sent that the client never got.
        self.answers_lost = 0
        self._fault: _Fault | None = None
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []

    def lose_answer_once(self, prefix: bytes) -> None:
        """The next request starting with `prefix` reaches the server; its
        answer is read (the server has committed) and the client's connection
        closed instead of relaying it."""
        self._fault = _Fault(prefix, None)

    def answer_once(self, prefix: bytes, answer: bytes) -> None:
        """The next request starting with `prefix` gets `answer` (raw HTTP) and never reaches the server."""
        self._fault = _Fault(prefix, answer)

    def __enter__(self) -> FaultyProxy:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _close(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            with self._lock:
                self._sockets += [client, upstream]
            doomed = threading.Event()
            threading.Thread(target=self._requests, args=(client, upstream, doomed), daemon=True).start()
            threading.Thread(target=self._answers, args=(upstream, client, doomed), daemon=True).start()

    def _take(self, chunk: bytes) -> _Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None or not chunk.startswith(fault.prefix):
                return None
            self._fault = None
            self.faults_done += 1
            return fault

    def _requests(self, client: socket.socket, upstream: socket.socket, doomed: threading.Event) -> None:
        while chunk := _recv(client):
            fault = self._take(chunk)
            if fault is not None and fault.answer is not None:
                client.sendall(fault.answer)
                break
            if fault is not None:
                doomed.set()
            try:
                upstream.sendall(chunk)
            except OSError:
                break
        _close(client)
        _close(upstream)

    def _answers(self, upstream: socket.socket, client: socket.socket, doomed: threading.Event) -> None:
        while chunk := _recv(upstream):
            if doomed.is_set():
                with self._lock:
                    self.answers_lost += 1
                break  # the server answered, so it committed: the client never hears it
            try:
                client.sendall(chunk)
            except OSError:
                break
        _close(client)
        _close(upstream)


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except OSError:
        return b""


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
