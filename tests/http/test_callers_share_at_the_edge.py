"""No caller holds more than its share of a server's request slots, through a
real `procura serve` on PostgreSQL: HAProxy counts each bearer token's
requests in flight and answers one beyond PROCURA_MAX_IN_FLIGHT_PER_CALLER
at once with 429 `too-many-concurrent`, before it takes a slot or a place in
the queue, while other organisations are served; the count drops as each
request ends, on kept-alive connections too."""

from __future__ import annotations

import http.client
import json
import threading
import time
from urllib.parse import urlsplit

import pytest

from testkit.server import wait_until
from tests.conftest import server_with_an_unprojected_po, token

pytestmark = pytest.mark.external

#: A read the API keeps busy for 2 s, holding a slot: it waits for a read
#: model position the store has but no `procura worker` projects.
SLOW_READ = "/purchase-orders?limit=1&min_position=1"
QUICK_READ = "/purchase-orders?limit=1"
WAITED, REFUSED = "/problems/projection-behind", "/problems/too-many-concurrent"
FLOODER = {"Authorization": f"Bearer {token('mallory', ('requester',), org='org-1')}"}
OTHER_ORG = {"Authorization": f"Bearer {token('olga', ('requester',), org='org-2')}"}


@pytest.fixture
def four_slot_server(pg_database_url):
    """A server with four request slots (1 worker x 4 threads), the default
    share per caller (a quarter of them: 1) and queue wait, and one PO in its store
    that no `procura worker` projects."""
    with server_with_an_unprojected_po(pg_database_url, threads=4, PROCURA_MAX_IN_FLIGHT_PER_CALLER="") as (base, _):
        yield base


class Client:
    """One kept-alive connection to the server."""

    def __init__(self, base: str):
        parts = urlsplit(base)
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def get(self, path: str, headers: dict) -> tuple[int, dict[str, str], bytes, float]:
        started = time.monotonic()
        self.connection.request("GET", path, headers=headers)
        answer = self.connection.getresponse()
        body = answer.read()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, body, time.monotonic() - started

    @property
    def socket(self):
        return self.connection.sock


class Holding:
    """`clients` kept-alive connections of one caller sending slow reads back
    to back until released, so the caller's requests stay in flight however
    slowly a loaded machine starts them."""

    def __init__(self, base: str, headers: dict, clients: int):
        self.released = threading.Event()
        self.clients = [Client(base) for _ in range(clients)]
        self.answers: list[str] = []  # each slow read's problem type

        def hold(client: Client):
            while not self.released.is_set():
                self.answers.append(json.loads(client.get(SLOW_READ, headers)[2])["type"])

        self.threads = [threading.Thread(target=hold, args=(c,), daemon=True) for c in self.clients]
        for thread in self.threads:
            thread.start()

    def release(self) -> None:
        self.released.set()
        for thread in self.threads:
            thread.join()


def _refused(client: Client, headers: dict):
    status, answer_headers, body, seconds = client.get(QUICK_READ, headers)
    return (status, answer_headers, body, seconds) if status == 429 else None


def test_a_request_beyond_the_callers_share_is_refused_with_429_at_once_while_another_org_is_served(
        four_slot_server):
    base = four_slot_server
    holding = Holding(base, FLOODER, clients=2)
    try:
        status, headers, body, seconds = wait_until(lambda: _refused(Client(base), FLOODER), timeout=30,
                                                    interval=0.01, what="a request beyond the caller's share")
        other = Client(base).get(QUICK_READ, OTHER_ORG)
    finally:
        holding.release()
    problem = json.loads(body)
    assert headers["content-type"] == "application/problem+json"
    assert (problem["type"], problem["status"], problem["limit"]) == ("/problems/too-many-concurrent", 429, 1)
    assert problem["instance"] == headers["x-request-id"]
    assert headers["retry-after"] == "1" and headers["cache-control"] == "no-store"
    assert seconds < 1.0, f"the refusal took {seconds:.2f} s (a slow read is 2 s)"
    assert other[0] == 200 and other[3] < 1.0, f"another org got {other[0]} after {other[3]:.2f} s"
    # The caller's own slow reads were served (waited 2 s, then 503 projection-behind),
    # or refused while it had its share in flight: never shed by the queue.
    assert WAITED in holding.answers and set(holding.answers) <= {WAITED, REFUSED}


def test_a_caller_is_served_again_on_its_kept_alive_connections_once_its_requests_have_ended(four_slot_server):
    base = four_slot_server
    holding = Holding(base, FLOODER, clients=2)
    try:
        wait_until(lambda: _refused(Client(base), FLOODER), timeout=30, interval=0.01,
                   what="the caller's share in use")
    finally:
        holding.release()
    for client in holding.clients:
        kept = client.socket
        assert kept is not None, "the slow reads' connection was not kept alive"
        status, _, _, seconds = client.get(QUICK_READ, FLOODER)
        assert status == 200 and seconds < 1.0, f"{status} after {seconds:.2f} s"
        assert client.socket is kept
    # Both at once again: the count of each ended request was released.
    holding = Holding(base, FLOODER, clients=2)
    try:
        refused = wait_until(lambda: _refused(Client(base), FLOODER), timeout=30, interval=0.01,
                             what="the caller's share in use again")
    finally:
        holding.release()
    assert refused[0] == 429
    assert WAITED in holding.answers and set(holding.answers) <= {WAITED, REFUSED}


@pytest.fixture
def three_per_caller_server(pg_database_url):
    """Four slots, but PROCURA_MAX_IN_FLIGHT_PER_CALLER=3."""
    with server_with_an_unprojected_po(pg_database_url, threads=4, PROCURA_MAX_IN_FLIGHT_PER_CALLER="3") as (base, _):
        yield base


def test_the_share_per_caller_is_configurable_and_requests_without_a_token_are_not_counted(three_per_caller_server):
    base = three_per_caller_server
    holding = Holding(base, FLOODER, clients=3)
    try:
        status, _, body, _ = wait_until(lambda: _refused(Client(base), FLOODER), timeout=30, interval=0.01,
                                        what="a request beyond a share of three")
        untracked = Client(base)
        open_pages = [untracked.get(path, {})[0] for path in ("/openapi.json", "/problems/overloaded", "/readyz")]
    finally:
        holding.release()
    assert json.loads(body)["limit"] == 3
    assert open_pages == [200, 200, 200]
