"""Requests the HTTP servers refuse before Procura sees them (bytes no header
may hold, an oversized request line or header, a body declared too large,
HTTP/2's preface) still get the contract's answer: a problem+json with an
X-Request-Id, not a server's own page. No answer names the server software,
and a refusal is never turned into a 502 by a body still on its way."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest

from app.http.requests import MAX_BODY_BYTES
from harness.wire import build_request, parse_response, raw_request
from testkit.server import running_server
from tests.conftest import SECRET, token

pytestmark = pytest.mark.external


@pytest.fixture(scope="module", params=["haproxy", "none"])
def server(request, tmp_path_factory):
    """Behind the edge (HAProxy, then granian) and gunicorn alone (PROCURA_EDGE=none)."""
    path = tmp_path_factory.mktemp("protocol") / "procura.sqlite3"
    with running_server({"PROCURA_SQLITE_PATH": str(path), "PROCURA_JWT_SECRET": SECRET,
                         "PROCURA_EDGE": request.param}, workers=1, threads=4) as base:
        yield base


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """Behind the edge only, for what HAProxy answers itself (a proxy of one's own does it otherwise)."""
    path = tmp_path_factory.mktemp("edge") / "procura.sqlite3"
    with running_server({"PROCURA_SQLITE_PATH": str(path), "PROCURA_JWT_SECRET": SECRET,
                         "PROCURA_EDGE": "haproxy"}, workers=1, threads=4) as base:
        yield base


CASES = {
    "a NUL byte in a header": [(b"Idempotency-Key", b"a\x00b")],
    "a DEL byte in a header": [(b"Idempotency-Key", b"a\x7fb")],
    "a header of 100 KiB": [(b"X-Big", b"y" * 100_000)],
}


@pytest.mark.parametrize("case", CASES)
def test_a_request_the_server_refuses_is_answered_with_a_malformed_request_problem(server, case):
    answer = raw_request(server, build_request("POST", "/purchase-orders", server, CASES[case], b"{}"))
    assert answer.status == 400
    assert answer.headers["content-type"] == "application/problem+json"
    document = json.loads(answer.body)
    assert document["type"] == "/problems/malformed-request"
    assert document["instance"] == answer.headers["x-request-id"]


def test_a_request_line_too_long_is_a_malformed_request_problem(server):
    answer = raw_request(server, build_request("GET", "/purchase-orders/" + "a" * 10_000, server, {}))
    assert (answer.status, answer.headers["content-type"]) == (400, "application/problem+json")


def test_a_body_declared_over_the_limit_is_refused_413_at_once(edge):
    # Only the headers and the body's first byte are sent, and the client does
    # not ask for the connection to be closed: the server must not wait for more.
    host = urlsplit(edge).netloc
    request = (f"POST /purchase-orders HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token()}\r\n"
               f"Idempotency-Key: too-large\r\nContent-Type: application/json\r\n"
               f"Content-Length: {MAX_BODY_BYTES * 2}\r\n\r\n{{").encode()
    started = time.monotonic()
    answer = raw_request(edge, request, timeout=5)  # reads until the server closes the connection
    took = time.monotonic() - started
    assert answer.status == 413 and answer.headers["content-type"] == "application/problem+json"
    assert json.loads(answer.body)["type"] == "/problems/payload-too-large"
    assert answer.headers.get("connection") == "close"
    assert took < 2, f"answered and closed after {took:.1f} s"


def test_the_http2_preface_is_refused_with_one_problem_and_the_connection_closed(server):
    parts = urlsplit(server)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")  # what an HTTP/2 client with prior knowledge sends
        received = b""
        try:
            while piece := sock.recv(65536):
                received += piece
        except TimeoutError:  # still open after 5 s: what came so far is the answer
            pass
    answer = parse_response(received)
    assert answer is not None, received[:100]  # an HTTP/1.1 answer, not HTTP/2 frames
    assert (answer.status, answer.headers["content-type"]) == (400, "application/problem+json")
    assert json.loads(answer.body)["instance"] == answer.headers["x-request-id"]
    assert received.count(b"HTTP/1.1 ") == 1  # the rest of the preface is not read as a second request


def test_no_answer_names_the_software_serving_it(server):
    answers = [
        raw_request(server, build_request("GET", "/healthz", server, {})),
        raw_request(server, build_request("GET", "/purchase-orders", server, {})),  # 401
        raw_request(server, build_request("GET", "/no-such-page", server, {})),  # 404
        raw_request(server, build_request("GET", "/purchase-orders/" + "a" * 10_000, server, {})),  # the edge's 400
    ]
    assert [answer.status for answer in answers] == [200, 401, 404, 400]
    assert [answer.headers.get("server") for answer in answers] == [None] * 4


def test_a_large_body_refused_before_it_is_read_gets_the_refusal_not_a_502(edge):
    # No token: the answer (401) is decided before the body is read, while the
    # edge may still be passing the body on.
    request = build_request("POST", "/purchase-orders", edge, {"Content-Type": "application/json"},
                            b"[" + b"0," * (128 * 1024) + b"0]")
    statuses = [raw_request(edge, request).status for _ in range(10)]
    assert statuses == [401] * 10


@pytest.mark.parametrize("coding", ["gzip, chunked", "gzip", "chunked, chunked"])
def test_a_body_in_a_transfer_coding_other_than_chunked_never_reaches_procura(edge, coding):
    # HAProxy 2.6's HTTP/1 layer refuses these with its own page, which no
    # configuration replaces (docs/operators/serving.md); what matters is that the body,
    # framed one way by the client and perhaps another by a server, goes no further.
    headers = {"Authorization": f"Bearer {token()}", "Idempotency-Key": "coded", "Transfer-Encoding": coding}
    started = time.monotonic()
    answer = raw_request(edge, build_request("POST", "/purchase-orders", edge, headers) + b"2\r\n{}\r\n0\r\n\r\n",
                         timeout=5)
    assert answer.status in (400, 422) and "x-request-id" not in answer.headers
    assert time.monotonic() - started < 2  # answered and closed at once
