"""A flood of cheap requests costs Procura nothing, through a real `procura
serve` on PostgreSQL: HAProxy counts each bearer token's requests per second
and each client address's 401s per 10 s, and past the bound holds the
request a second, then answers 429 `rate-limited`, so a client sending back
to back slows down and its excess never reaches Python, while other callers
and other addresses are served."""

from __future__ import annotations

import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

import pytest

from app.serving.edge import TARPIT_SECONDS
from tests.conftest import server_with_an_unprojected_po, token

pytestmark = pytest.mark.external

READ = "/purchase-orders?limit=1"
FLOODER = {"Authorization": f"Bearer {token('mallory', ('requester',), org='org-1')}"}
OTHER_ORG = {"Authorization": f"Bearer {token('olga', ('requester',), org='org-2')}"}


def _get(base: str, headers: dict, source: str = "127.0.0.1") -> tuple[int, dict[str, str], dict, float]:
    """One request on a new connection from `source`: status, headers, problem (or {}), seconds."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30, source_address=(source, 0))
    started = time.monotonic()
    try:
        connection.request("GET", READ, headers=headers)
        answer = connection.getresponse()
        body = answer.read()
    finally:
        connection.close()
    answer_headers = {k.lower(): v for k, v in answer.getheaders()}
    problem = json.loads(body) if answer_headers.get("content-type") == "application/problem+json" else {}
    return answer.status, answer_headers, problem, time.monotonic() - started


def _until_refused(send, most: int):
    """Send until an answer is 429 (at most `most` requests); that answer."""
    for _ in range(most):
        answer = send()
        if answer[0] == 429:
            return answer
    pytest.fail(f"none of {most} requests was refused 429")


@pytest.fixture
def five_per_second_server(pg_database_url):
    with server_with_an_unprojected_po(pg_database_url, threads=4,
                                       PROCURA_MAX_REQUESTS_PER_SECOND_PER_CALLER="5") as (base, _):
        yield base


def test_a_token_sending_faster_than_its_rate_is_held_then_refused_429_while_another_org_is_served(
        five_per_second_server):
    base = five_per_second_server
    status, headers, problem, seconds = _until_refused(lambda: _get(base, FLOODER), most=20)
    other = _get(base, OTHER_ORG)
    assert (problem["type"], problem["limit"], problem["window_seconds"]) == ("/problems/rate-limited", 5, 1)
    assert problem["instance"] == headers["x-request-id"] and headers["retry-after"] == "1"
    assert seconds >= TARPIT_SECONDS * 0.9, f"refused after {seconds:.2f} s, not held"
    assert other[0] == 200 and other[3] < TARPIT_SECONDS, f"another org got {other[0]} after {other[3]:.2f} s"


@pytest.fixture
def three_failures_server(pg_database_url):
    with server_with_an_unprojected_po(pg_database_url, threads=4,
                                       PROCURA_MAX_FAILED_AUTH_PER_ADDRESS="3") as (base, _):
        yield base


def _made_up_token() -> dict:
    return {"Authorization": f"Bearer {uuid.uuid4().hex}.{uuid.uuid4().hex}.{uuid.uuid4().hex}"}


def test_an_address_collecting_401s_is_held_then_refused_429_while_other_addresses_are_served(
        three_failures_server):
    base = three_failures_server
    first = _get(base, _made_up_token())
    status, headers, problem, seconds = _until_refused(lambda: _get(base, _made_up_token()), most=20)
    valid_from_there = _get(base, OTHER_ORG)
    elsewhere = _get(base, OTHER_ORG, source="127.0.0.2")
    assert first[0] == 401
    assert (problem["type"], problem["limit"], problem["window_seconds"]) == ("/problems/rate-limited", 3, 10)
    assert seconds >= TARPIT_SECONDS * 0.9, f"refused after {seconds:.2f} s, not held"
    assert valid_from_there[0] == 429, "the address itself is slowed, whatever token it sends"
    assert elsewhere[0] == 200 and elsewhere[3] < TARPIT_SECONDS, f"{elsewhere[0]} after {elsewhere[3]:.2f} s"


def test_requests_with_valid_tokens_never_count_against_their_address(three_failures_server):
    base = three_failures_server
    statuses = [_get(base, OTHER_ORG)[0] for _ in range(8)]
    assert statuses == [200] * 8
