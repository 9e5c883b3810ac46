"""No single caller takes every request slot, through a real `procura serve`
on PostgreSQL: one caller's expensive reads beyond its share are refused at
once with 429 `too-many-concurrent` while other organisations are served,
and a `min_position` no event has yet is refused at once instead of waiting."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from app.bootstrap import build_services
from app.config import Edge
from testkit import stores
from testkit.server import running_server, wait_until
from tests.conftest import SECRET, po_body, postgres_settings, token

#: A store of some size (the read models stay behind it: no worker runs).
GROWN_POS = 3000
AUDITOR = {"Authorization": f"Bearer {token('erin', ('auditor',), org='org-1', department='finance')}"}
OTHER_ORG = {"Authorization": f"Bearer {token('olga', ('requester',), org='org-2')}"}
#: A trace waiting for the support index, which no worker fills here: 2 s, then 503.
SLOW_TRACE = "/trace?id=anything&min_position=1"


@pytest.fixture(scope="module")
def grown_server(module_pg_database_url):
    """A server (1 worker, the default slots, share and queue wait) on a store of
    6,000 events, without a `procura worker`: its read models stay at 0, so a
    read with `min_position` waits its 2 s."""
    services = build_services(postgres_settings(module_pg_database_url))
    try:
        stores.grow(services.event_store, GROWN_POS, "org-1")
    finally:
        services.close()
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET,
           "PROCURA_QUEUE_WAIT_MS": str(Edge().queue_wait_ms)}
    with running_server(env, workers=1) as base:
        yield base


class Flood:
    """`count` clients sending `path` back to back until released, each answer
    kept with how long it took."""

    def __init__(self, base: str, path: str, headers: dict, count: int):
        self.released = threading.Event()
        self.answers: list[tuple[requests.Response, float]] = []

        def send():
            while not self.released.is_set():
                started = time.monotonic()
                answer = requests.get(base + path, headers=headers, timeout=60)
                self.answers.append((answer, time.monotonic() - started))

        self.threads = [threading.Thread(target=send, daemon=True) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def first(self, status: int) -> tuple[requests.Response, float] | None:
        return next(((a, s) for a, s in list(self.answers) if a.status_code == status), None)

    def release(self) -> None:
        self.released.set()
        for thread in self.threads:
            thread.join()


@pytest.mark.external
def test_traces_waiting_for_the_index_beyond_the_callers_share_are_refused_with_429_at_once_while_another_org_is_served(grown_server):
    flood = Flood(grown_server, SLOW_TRACE, AUDITOR, count=4)
    try:
        refused, seconds = wait_until(lambda: flood.first(429), timeout=30, interval=0.01,
                                      what="a trace refused for being beyond the caller's share")
        listed = [requests.get(grown_server + "/purchase-orders?limit=1", headers=OTHER_ORG, timeout=10)
                  for _ in range(5)]
    finally:
        flood.release()
    assert refused.json()["type"] == "/problems/too-many-concurrent" and refused.json()["limit"] == 2
    assert refused.headers["Retry-After"] == "1"
    assert seconds < 1.0, f"the refusal took {seconds:.2f} s"
    assert [answer.status_code for answer in listed] == [200] * 5
    waited = [a for a, _ in flood.answers if a.status_code == 503]
    assert waited and {a.status_code for a, _ in flood.answers} <= {503, 429}


@pytest.mark.external
def test_a_caller_within_its_share_waits_again_once_its_reads_have_answered(grown_server):
    flood = Flood(grown_server, SLOW_TRACE, AUDITOR, count=3)
    wait_until(lambda: flood.first(429), timeout=30, interval=0.01, what="the caller's share in use")
    flood.release()
    assert requests.get(grown_server + SLOW_TRACE, headers=AUDITOR, timeout=60).status_code == 503  # waited its 2 s


@pytest.mark.external
def test_a_min_position_beyond_the_stores_head_is_refused_with_422_at_once(grown_server):
    created = requests.post(grown_server + "/purchase-orders", json=po_body(), timeout=10,
                            headers={**OTHER_ORG, "Idempotency-Key": "beyond-the-head"})
    position = int(created.headers["Event-Position"])
    started = time.monotonic()
    beyond = requests.get(grown_server + f"/purchase-orders?min_position={position + 1000}", headers=OTHER_ORG,
                          timeout=10)
    seconds = time.monotonic() - started
    assert beyond.status_code == 422
    [error] = beyond.json()["errors"]
    assert (error["pointer"], error["code"]) == ("/min_position", "beyond-head")
    assert seconds < 1.0, f"the refusal took {seconds:.2f} s (a wait is 2 s)"
    # A position the store has is waited for (no worker runs the read models here: 2 s, then 503).
    waited = requests.get(grown_server + f"/purchase-orders?min_position={position}", headers=OTHER_ORG, timeout=10)
    assert waited.json()["type"] == "/problems/projection-behind"


@pytest.mark.external
def test_reads_waiting_for_min_position_beyond_the_callers_share_are_refused_with_429_at_once(grown_server):
    flood = Flood(grown_server, "/purchase-orders?limit=1&min_position=1", OTHER_ORG, count=3)
    try:
        refused, seconds = wait_until(lambda: flood.first(429), timeout=30, interval=0.01,
                                      what="a wait refused for being beyond the caller's share")
    finally:
        flood.release()
    assert refused.json()["type"] == "/problems/too-many-concurrent"
    assert refused.headers["Retry-After"] == "1"
    assert seconds < 1.0, f"the refusal took {seconds:.2f} s"


@pytest.mark.parametrize("path", ["/purchase-orders/{id}/timeline",
                                  "/purchase-orders/{id}/history", "/reports/spend", "/reports/cycle-times"])
def test_each_expensive_read_is_refused_with_429_while_its_caller_runs_its_share(flask_app, client, path):
    admin = {"Authorization": f"Bearer {token('root', ('admin', 'requester'))}"}
    created = client.post("/purchase-orders", json=po_body(), headers={**admin, "Idempotency-Key": "fair-1"})
    url = path.format(id=created.get_json()["id"])
    reads = flask_app.extensions["procura.expensive_reads"]
    with reads.running("org-1/root"), reads.running("org-1/root"):
        refused = client.get(url, headers=admin)
        others = client.get(url.replace("anything", "other"), headers={
            "Authorization": f"Bearer {token('erin', ('admin', 'requester'))}"})
    assert refused.status_code == 429 and refused.get_json()["type"] == "/problems/too-many-concurrent"
    assert refused.headers["Retry-After"] == "1"
    assert others.status_code != 429  # another caller of the same org has a share of its own
    assert client.get(url, headers=admin).status_code == 200  # once the caller's reads have answered


def test_a_trace_that_need_not_wait_is_answered_while_its_caller_runs_its_share(flask_app, client):
    """A trace page costs what a list page does (the support index): it is no expensive read."""
    auditor = {"Authorization": f"Bearer {token('erin', ('auditor',))}"}
    reads = flask_app.extensions["procura.expensive_reads"]
    with reads.running("org-1/erin"), reads.running("org-1/erin"):
        answered = client.get("/trace?id=anything", headers=auditor)
    assert answered.status_code == 200
