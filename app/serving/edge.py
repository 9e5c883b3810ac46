"""The edge: HAProxy between clients and granian (docs/operators/serving.md).

The server's Python threads are few and each is a whole request handler, so
nothing slow may reach one. HAProxy holds every client connection in C and
passes a request to granian only once all of it has arrived (headers and
body); a client too slow to finish within the request timeout gets 408 and
its connection closed; a body declared over the limit is refused before it
is read. Only HTTP/1.1 is served (HTTP/2's preface is a malformed request),
and no answer names the software. It also admits at most `admitted`
requests to granian at once: the rest wait in a queue for at most
`queue_wait_ms`, then get 503 `overloaded` with Retry-After, answered by
HAProxy in microseconds. Probes (/healthz, /readyz) bypass that queue, so
they are never shed. Before the queue, each bearer token may have at most
`Edge.per_caller_bound` requests in flight (queued or running); one more is
answered at once with 429 `too-many-concurrent`, so one caller's excess
neither takes a slot nor waits in the queue ahead of other callers.
"""

from __future__ import annotations

import ctypes
import functools
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.config import Edge
from app.http.requests import MAX_BODY_BYTES
from app.http.security_headers import DOCUMENT_HEADERS
from app.service.problem_types import PROBLEM_TYPES
from app.serving import edge_log

#: Probes answer whatever the load: they skip the admission queue.
PROBE_PATHS = ("/healthz", "/readyz")
#: Seconds HAProxy waits for granian's answer before answering 504.
SERVER_TIMEOUT = 60
#: A request body may be 1 MiB (app.http.requests.MAX_BODY_BYTES); the buffer
#: holds it and its headers, so the whole request arrives before dispatch.
BUFFER_BYTES = 1024 * 1024 + 64 * 1024
#: A request's target, its header fields and their bytes beyond these limits
#: are refused with 400 malformed-request, before the request is dispatched.
MAX_TARGET_BYTES = 8190
MAX_HEADER_FIELDS = 100
MAX_HEADER_BYTES = 32 * 1024
#: glibc serves blocks this large with mmap, or trims the heap when they are
#: freed: two system calls per request for HAProxy's buffers. Keep them in the heap.
MALLOC_TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"


class EdgeError(RuntimeError):
    """HAProxy cannot be started (not installed, a bad port, a bind failure)."""


@dataclass(frozen=True)
class EdgePlan:
    """Where the edge listens, where granian listens, and its limits."""

    host: str
    port: int
    upstream: Path  # granian's unix socket
    admitted: int  # requests in granian at once (workers x slots)
    edge: Edge


#: Statuses whose answers say when to try again (Retry-After, in seconds).
RETRY_LATER = (429, 503)
#: How long the edge holds a request over a rate bound before refusing it:
#: a held connection costs HAProxy almost nothing, and a client sending back
#: to back then sends one request a second per connection.
TARPIT_SECONDS = 1
#: HAProxy's runtime API (admin level, this user only) and the map whose
#: `draining` entry turns /readyz to 503 during a shutdown, in the runtime directory.
ADMIN_SOCKET = "admin.sock"
STATE_MAP = "state.map"
#: The table of client addresses and the rate of 401s each got.
ADDRESSES = "client_addresses"
#: The caller's key in the frontend's table, an entry per bearer token seen
#: lately: its token (the header's second word, however the scheme is
#: spelled or spaced, as app.http.auth reads it), hashed, never stored itself.
CALLER_KEY = "req.fhdr(authorization),word(2,' '),sha1"
#: A console session's key, for its requests without a bearer token: the CSRF
#: token they carry beside the cookie (one per session, kept across renewals).
SESSION_KEY = "req.fhdr(x-csrf-token),sha1"


def _answer(status: int, slug: str, detail: str, **members: object) -> str:
    """The arguments of an HAProxy `http-error`, `return` or `tarpit` that
    answer `status` as problem+json, the contract's problem `slug`, with the
    request's id."""
    kind = PROBLEM_TYPES[slug]
    document = json.dumps({"type": f"/problems/{slug}", "title": kind.title, "status": status, "detail": detail,
                           "instance": "REQUEST_ID", "next_action": kind.next_action, **members},
                          separators=(",", ":"))
    body = document.replace("REQUEST_ID", "%[unique-id]")
    return (f"status {status} content-type application/problem+json lf-string '{body}'"
            f" hdr X-Request-Id %[unique-id]" + (" hdr Retry-After 1" if status in RETRY_LATER else "")
            + "".join(f' hdr {name} "{value}"' for name, value in DOCUMENT_HEADERS.items()))


def _problems(per_caller: int | None) -> list[str]:
    def known(slug: str, status: int, detail: str, **members: object) -> str:
        return "  http-error " + _answer(status, slug, detail, **members)

    return [
        *([known("too-many-concurrent", 429, f"You already have {per_caller} requests in flight with this token, "
                 "the most one caller may. Retry after Retry-After seconds, once one has answered.",
                 limit=per_caller)] if per_caller else []),
        known("malformed-request", 400, "The HTTP request is malformed; fix it and send it again."),
        known("payload-too-large", 413, "Request bodies are limited to 1 MiB; send a smaller one."),
        known("request-timeout", 408, "The request did not arrive in time; send it again, faster."),
        known("overloaded", 503, "Too many requests are running; retry after Retry-After seconds."),
        known("internal-error", 502, "The request failed inside Procura; retry with the same Idempotency-Key."),
        known("internal-error", 504, "Procura did not answer in time; retry with the same Idempotency-Key."),
    ]


def _callers_share(edge: Edge, per_caller: int | None) -> list[str]:
    """Each bearer token's requests bounded, in flight and per second: the
    excess in flight is refused 429 before it takes a slot or a place in the
    queue; a request over the rate is held TARPIT_SECONDS, then refused 429,
    so a client sending back to back slows to a request a second per
    connection. A console session counts as a caller by its CSRF token
    (app/http/console_session.py). Requests without either, and the probes,
    are not counted."""
    rate = edge.max_requests_per_second_per_caller
    counters = [*(["conn_cur"] if per_caller else []), *(["http_req_rate(1s)"] if rate else [])]
    if not counters:
        return []
    probes = " ".join(PROBE_PATHS)
    too_fast = (f"You sent more than {rate} requests in a second with this token, the most one caller may. "
                "Nothing was done: slow down, and retry after Retry-After seconds.")
    return [
        f"  stick-table type binary len 20 size 100k expire 60s store {','.join(counters)}",
        f"  http-request track-sc0 {CALLER_KEY} if {{ req.hdr(authorization) -m found }} !{{ path {probes} }}",
        f"  http-request track-sc0 {SESSION_KEY} if {{ req.hdr(x-csrf-token) -m found }}"
        f" !{{ req.hdr(authorization) -m found }} !{{ path {probes} }}",
        *([f"  http-request tarpit {_answer(429, 'rate-limited', too_fast, limit=rate, window_seconds=1)}"
           f" if {{ sc0_http_req_rate gt {rate} }}"] if rate else []),
        # The count includes this request, and drops as each request ends.
        *([f"  http-request deny deny_status 429 if {{ sc0_conn_cur gt {per_caller} }}"] if per_caller else []),
    ]


def _addresses_failing(edge: Edge) -> list[str]:
    """Each client address's 401s counted: past the bound in 10 s, its
    requests are held TARPIT_SECONDS and refused 429, so tokens made up by
    the thousand (each one new to the per-token counts) cost Procura nothing.
    The frontend's rules; the table is ADDRESSES' (_address_table)."""
    bound = edge.max_failed_auth_per_address
    if not bound:
        return []
    probes = " ".join(PROBE_PATHS)
    detail = (f"More than {bound} requests from your address in 10 seconds were refused as unauthenticated. "
              "Nothing was done: fix the token, and retry after Retry-After seconds.")
    return [
        f"  http-request track-sc1 src table {ADDRESSES} if !{{ path {probes} }}",
        f"  http-request tarpit {_answer(429, 'rate-limited', detail, limit=bound, window_seconds=10)}"
        f" if {{ sc1_gpc0_rate({ADDRESSES}) gt {bound} }}",
        "  http-response sc-inc-gpc0(1) if { status 401 }",
    ]


def _draining(plan: EdgePlan) -> list[str]:
    """/readyz answered 503 `shutting-down` by HAProxy itself once the state
    map holds `draining` (EdgeProxy.drain), so load balancers stop sending
    while every request is still served."""
    detail = "This server is shutting down; send requests to another instance."
    return [f"  http-request return {_answer(503, 'shutting-down', detail)}"
            f" if {{ path /readyz }} {{ str(draining),map({plan.upstream.parent / STATE_MAP}) -m found }}"]


def _address_table(edge: Edge) -> list[str]:
    if not edge.max_failed_auth_per_address:
        return []
    return [f"backend {ADDRESSES}", "  stick-table type ipv6 size 100k expire 60s store gpc0_rate(10s)"]


def render(plan: EdgePlan, max_connections: int) -> str:
    """HAProxy's configuration for `plan`."""
    edge = plan.edge
    per_caller = edge.per_caller_bound(plan.admitted)
    probes = " ".join(PROBE_PATHS)
    return "\n".join([
        "global",
        f"  maxconn {max_connections}",
        # One line per answer HAProxy writes itself, relayed as JSON (app.serving.edge_log).
        "  log stdout format raw daemon info",
        f"  stats socket {plan.upstream.parent / ADMIN_SOCKET} mode 600 level admin",
        # A shutdown's soft stop lets requests in flight finish for this long, then ends them.
        f"  hard-stop-after {edge.shutdown_timeout_seconds}s",
        "  nbthread 1",  # one core handles far more than the Python behind it; the rest stay with Python
        f"  tune.bufsize {BUFFER_BYTES}",
        # Past this HAProxy's parser answers a fixed page; below it the count
        # of MAX_HEADER_FIELDS is refused as problem+json.
        "  tune.http.maxhdr 1024",
        "defaults",
        "  mode http",
        "  log global",
        "  option dontlognull",
        f'  log-format "{edge_log.LOG_FORMAT}"',
        # HTTP/2 with prior knowledge would be a second protocol at the edge,
        # with its own parser and limits; clients speak HTTP/1.1.
        "  option disable-h2-upgrade",
        f"  timeout http-request {edge.request_timeout_seconds}s",
        f"  timeout client {max(30, edge.request_timeout_seconds)}s",
        "  timeout http-keep-alive 5s",
        "  timeout connect 2s",
        f"  timeout server {SERVER_TIMEOUT}s",
        f"  timeout queue {edge.queue_wait_ms}ms",
        f"  timeout tarpit {TARPIT_SECONDS}s",
        "  option forwardfor",
        "  unique-id-format %[uuid()]",
        *_problems(per_caller),
        "frontend procura",
        f"  bind {plan.host}:{plan.port}",
        f"  http-request deny deny_status 400 if {{ url,length gt {MAX_TARGET_BYTES} }}",
        f"  http-request deny deny_status 400 if {{ req.hdrs,length gt {MAX_HEADER_BYTES} }}",
        f"  http-request deny deny_status 400 if {{ req.hdr_cnt gt {MAX_HEADER_FIELDS} }}",
        # A body too large to buffer whole is refused here: the Python server
        # would answer 413 unread, and close a connection HAProxy still sends on.
        # One declared too large is refused before any of it is awaited.
        f"  http-request deny deny_status 413 if {{ req.hdr_val(content-length) gt {MAX_BODY_BYTES} }}",
        # Whole requests only: nothing slow reaches a thread. The body has the
        # request timeout from the end of the headers; past it, 408.
        f"  http-request wait-for-body time {edge.request_timeout_seconds}s",
        f"  http-request deny deny_status 413 if {{ req.body_len gt {MAX_BODY_BYTES} }}",
        *_addresses_failing(edge),
        *_callers_share(edge, per_caller),
        *_draining(plan),
        f"  use_backend probes if {{ path {probes} }}",
        "  default_backend api",
        # granian's answers are Procura's, logged by Procura: HAProxy logs only its own.
        "  http-response set-log-level silent if { res.hdr(x-request-id) -m found }",
        # A refusal by granian itself (a request it cannot parse) carries no
        # X-Request-Id: answer it as the contract's problem instead.
        "  http-response return status 400 default-errorfiles if !{ res.hdr(x-request-id) -m found } "
        "{ status 400:499 }",
        "  http-response return status 502 default-errorfiles if !{ res.hdr(x-request-id) -m found } "
        "{ status 500:599 }",
        # A request HAProxy refuses as malformed (HTTP/2's preface among them)
        # ends its connection: what follows it cannot be trusted to be a request.
        # granian names itself on every answer it writes; HAProxy's own carry no Server.
        "  http-after-response set-header Connection close if { status 400 } !{ res.hdr(server) -m found }",
        # No answer names the software serving it.
        "  http-after-response del-header server",
        "backend api",
        f"  server granian {plan.upstream} maxconn {plan.admitted}",
        "backend probes",
        f"  server granian {plan.upstream}",
        *_address_table(edge),
        "",
    ])


def _descriptor_room() -> int:
    """Connections the open-file limit leaves room for (each costs HAProxy two)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    limit = hard if hard != resource.RLIM_INFINITY else 1 << 20
    return max(64, (limit - 128) // 2)


def die_with_parent(parent: int) -> None:
    """In a child of `procura serve` (process `parent`): SIGTERM when it dies,
    even by SIGKILL (Linux), so no process of a dead server lives on; if it
    is already gone, exit."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:
        os._exit(1)


def _edge_child(parent: int) -> None:
    """HAProxy's start, in the child: dies with the server, with every descriptor it may have."""
    die_with_parent(parent)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class _UnixConnection(http.client.HTTPConnection):
    """HTTP on a unix socket (granian's, behind the edge)."""

    def __init__(self, path: str):
        super().__init__("localhost", timeout=2)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(2)
        self.sock.connect(self.path)


class EdgeProxy:
    """One HAProxy process serving `plan`, configured in `directory`."""

    def __init__(self, plan: EdgePlan, directory: Path):
        self.plan = plan
        self.directory = directory
        self.process: subprocess.Popen | None = None
        self._stopping = False
        self._starting = threading.Lock()  # a start and a close never interleave
        self.lost = False  # HAProxy exited without being asked to

    def check(self) -> None:
        """Refuse early (EdgeError) when HAProxy is missing or its configuration is not valid."""
        binary = shutil.which("haproxy")
        if binary is None:
            raise EdgeError("haproxy not found: install it (apt-get install haproxy), "
                            "or set PROCURA_EDGE=none when a buffering proxy of your own fronts Procura")
        config = self.directory / "haproxy.cfg"
        connections = min(self.plan.edge.max_connections, _descriptor_room())
        (self.directory / STATE_MAP).touch()
        config.write_text(render(self.plan, connections))
        checked = subprocess.run([binary, "-c", "-q", "-f", str(config)], capture_output=True, text=True)
        if checked.returncode != 0:
            raise EdgeError(f"haproxy refused its configuration: {checked.stderr.strip()[-500:]}")
        self.binary = binary

    def start_when_upstream_answers(self, on_exit: Callable[[int], None], on_failure: Callable[[str], None],
                                    timeout: float = 120) -> None:
        """In a thread: once granian answers on its socket, start HAProxy, so
        that clients meet a refused connection while the workers start, never
        a 503. `on_failure(reason)` if granian never answers or HAProxy cannot start."""

        def run() -> None:
            deadline = time.monotonic() + timeout
            while not self._upstream_answers():
                if self._stopping:
                    return
                if time.monotonic() > deadline:
                    return on_failure(f"no worker answered within {timeout:.0f} s")
                time.sleep(0.05)  # polling a socket that has no event to wait on
            try:
                with self._starting:
                    if self._stopping:
                        return
                    self.start(on_exit)
            except EdgeError as error:
                return on_failure(str(error))
            # HAProxy's parent-death signal fires when the thread that started it
            # ends (prctl), so this thread lives as long as HAProxy does.
            self.process.wait()

        threading.Thread(target=run, daemon=True, name="edge-start").start()

    def _upstream_answers(self) -> bool:
        connection = _UnixConnection(str(self.plan.upstream))
        try:
            connection.request("GET", PROBE_PATHS[0])
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def start(self, on_exit: Callable[[int], None], timeout: float = 10) -> None:
        """Start HAProxy and wait until it listens; `on_exit(code)` is called if it dies unasked."""
        self.process = subprocess.Popen([self.binary, "-db", "-f", str(self.directory / "haproxy.cfg")],
                                        preexec_fn=functools.partial(_edge_child, os.getpid()),
                                        # Its own session: a signal to the server's process group
                                        # (Ctrl-C, an init) is the server's to handle, as a drain.
                                        start_new_session=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, "GLIBC_TUNABLES": MALLOC_TUNABLES})
        threading.Thread(target=edge_log.relay, args=(self.process.stdout,), daemon=True, name="edge-log").start()
        deadline = time.monotonic() + timeout
        while not self._listening():
            if self.process.poll() is not None:
                raise EdgeError(f"haproxy exited ({self.process.returncode}) before listening on "
                                f"{self.plan.host}:{self.plan.port}; its lines above say why")
            if time.monotonic() > deadline:
                raise EdgeError(f"haproxy did not listen on {self.plan.host}:{self.plan.port} within {timeout}s")
            time.sleep(0.02)
        threading.Thread(target=self._watch, args=(on_exit,), daemon=True, name="edge-watch").start()

    def drain(self) -> None:
        """Turn /readyz to 503 `shutting-down`; everything else is served as before."""
        self._command(f"add map {self.directory / STATE_MAP} draining 1")

    def _command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as admin:
            admin.settimeout(5)
            admin.connect(str(self.directory / ADMIN_SOCKET))
            admin.sendall(line.encode() + b"\n")
            return b"".join(iter(lambda: admin.recv(4096), b"")).decode()

    def close(self) -> None:
        """Stop accepting and let every request in flight finish (HAProxy's soft
        stop; at most `shutdown_timeout_seconds`, then it ends them), then return."""
        self._stopping = True
        with self._starting:
            pass  # a start under way has finished: its process is the one to stop
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGUSR1)
        try:
            self.process.wait(self.plan.edge.shutdown_timeout_seconds + 5)
        except subprocess.TimeoutExpired:
            self.process.kill()

    def stop(self, timeout: float = 5) -> None:
        """Stop HAProxy: it closes its listener at once, then its connections."""
        self._stopping = True
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def _listening(self) -> bool:
        try:
            with socket.create_connection((self.plan.host, self.plan.port), timeout=0.5):
                return True
        except OSError:
            return False

    def _watch(self, on_exit: Callable[[int], None]) -> None:
        code = self.process.wait()
        if not self._stopping:
            self.lost = True
            on_exit(code)
