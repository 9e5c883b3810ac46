"""Requests the HTTP servers refuse before Procura sees them (bytes no header
may hold, an oversized request line or header) still get the contract's
answer: a 400 problem+json with an X-Request-Id, not a server's own page."""

from __future__ import annotations

import json

import pytest

from harness.wire import build_request, raw_request
from testkit.server import running_server
from tests.conftest import SECRET


@pytest.fixture(scope="module", params=["haproxy", "none"])
def server(request, tmp_path_factory):
    """Behind the edge (HAProxy, then granian) and gunicorn alone (PROCURA_EDGE=none)."""
    path = tmp_path_factory.mktemp("protocol") / "procura.sqlite3"
    with running_server({"PROCURA_SQLITE_PATH": str(path), "PROCURA_JWT_SECRET": SECRET,
                         "PROCURA_EDGE": request.param}, workers=1, threads=4) as base:
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
