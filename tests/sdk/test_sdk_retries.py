"""The SDK's retries (procura_client/retries.py) in isolation, over a
transport that plays the server: what is retried, after how long, with
which request, and what is never retried."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest
from procura_client import Procura, ProcuraError, PurchaseOrderOut, RetryPolicy, Unavailable, ValidationFailed
from procura_client.retries import RetryingTransport

from aggregates.transitions import REMARKS
from tests.conftest import po_body

PO = {"id": "6f1c1c59-3c1b-4a51-9b0e-0f1b9e6a7a11", "org": "o", "title": "t", "supplier_id": "acme",
      "department": "eng", "requester": "alice", "currency": "EUR", "lines": [], "total": "1.00",
      "needed_by": "2030-01-31", "status": "draft", "version": 1, "created_at": "2026-12-07T10:00:00Z",
      "updated_at": "2026-12-07T10:00:00Z", "supplier_reference": None, "tracking_number": None,
      "operation_id": None, "allowed_actions": ["submit"],
      **dict.fromkeys(REMARKS)}  # every command's remark, as the transition table names them


def problem(status: int, slug: str, **extra) -> dict:
    return {"type": f"/problems/{slug}", "title": slug, "status": status, "detail": "d", "instance": "i",
            "next_action": "retry_later", **extra}


class Server:
    """Answers each request with the next of `plays` (a response, or an exception to raise)."""

    def __init__(self, *plays: httpx.Response | Exception):
        self.plays = list(plays)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        play = self.plays.pop(0)
        if isinstance(play, Exception):
            raise play
        return play


def client(server: Server, waits: list[float], attempts: int = 6) -> Procura:
    return Procura("http://procura", "token", retry=RetryPolicy(attempts=attempts, sleep=waits.append),
                   transport=httpx.MockTransport(server))


def answer(status: int, body: dict, **headers: str) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers={
        "Content-Type": "application/json" if status < 400 else "application/problem+json", **headers})


def created() -> httpx.Response:
    return answer(201, PO, ETag='"1"', **{"Event-Position": "42"})


def test_a_lost_answer_a_429_a_503_and_an_in_flight_key_are_retried_with_the_same_request():
    server = Server(httpx.ReadError("lost"), answer(429, problem(429, "rate-limited"), **{"Retry-After": "3"}),
                    answer(503, problem(503, "overloaded"), **{"Retry-After": "1"}),
                    answer(409, problem(409, "idempotency-key-in-flight"), **{"Retry-After": "1"}), created())
    waits: list[float] = []
    sdk = client(server, waits)
    po = sdk.create(po_body())
    assert po.version == 1 and sdk.position == 42
    assert waits[1:] == [3.0, 1.0, 1.0] and 0 < waits[0] <= 0.2
    assert len({r.headers["Idempotency-Key"] for r in server.requests}) == 1
    assert len({r.content for r in server.requests}) == 1


def test_each_intent_gets_its_own_key():
    server = Server(created(), created())
    sdk = client(server, [])
    sdk.create(po_body())
    sdk.create(po_body())
    assert len({r.headers["Idempotency-Key"] for r in server.requests}) == 2


@pytest.mark.parametrize("status, slug", [(400, "malformed-request"), (403, "forbidden"), (404, "not-found"),
                                          (409, "version-conflict"), (422, "validation-error"),
                                          (428, "precondition-required"), (500, "internal-error")])
def test_a_4xx_or_a_500_is_never_retried(status, slug):
    server = Server(answer(status, problem(status, slug), **{"Retry-After": "1"}))
    waits: list[float] = []
    with pytest.raises(ProcuraError) as raised:
        client(server, waits).submit(PurchaseOrderOut.from_dict(PO))
    assert len(server.requests) == 1 and waits == []
    assert raised.value.status == status
    assert server.requests[0].headers["If-Match"] == '"1"'  # from the PO given


def test_a_422_carries_its_pointers():
    errors = [{"pointer": "/currency", "detail": "3 upper-case letters", "code": "invalid"}]
    server = Server(answer(422, problem(422, "validation-error", errors=errors)))
    with pytest.raises(ValidationFailed) as refused:
        client(server, []).create(po_body())
    assert [(e.pointer, e.code) for e in refused.value.errors] == [("/currency", "invalid")]


def test_after_the_last_attempt_the_problem_is_raised():
    server = Server(*[answer(503, problem(503, "overloaded"), **{"Retry-After": "1"})] * 3)
    waits: list[float] = []
    with pytest.raises(Unavailable):
        client(server, waits, attempts=3).create(po_body())
    assert len(server.requests) == 3 and waits == [1.0, 1.0]


def _post_without_key(server: Server, waits: list[float]) -> Callable[[], httpx.Response]:
    transport = RetryingTransport(RetryPolicy(sleep=waits.append), httpx.MockTransport(server))
    return lambda: httpx.Client(transport=transport).post("http://procura/webhook-endpoints", json={})


def test_a_request_without_a_key_is_not_sent_again_once_it_may_have_arrived():
    server = Server(httpx.ReadError("lost"))
    with pytest.raises(httpx.ReadError):
        _post_without_key(server, [])()
    assert len(server.requests) == 1


def test_a_request_without_a_key_is_sent_again_when_it_never_left():
    server = Server(httpx.ConnectError("refused"), answer(201, {}))
    assert _post_without_key(server, [])().status_code == 201
    assert len(server.requests) == 2


def test_an_http_date_retry_after_is_honoured():
    server = Server(answer(429, problem(429, "rate-limited"), **{"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
                    created())
    waits: list[float] = []
    client(server, waits).create(po_body())
    assert waits == [0.0]


def test_a_retry_after_longer_than_the_policy_waits_is_not_cut_short_but_raised():
    server = Server(answer(429, problem(429, "rate-limited"), **{"Retry-After": "120"}), created())
    waits: list[float] = []
    with pytest.raises(Unavailable):
        client(server, waits).create(po_body())
    assert len(server.requests) == 1 and waits == []
