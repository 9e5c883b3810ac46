"""Webhook delivery survives a worker killed with SIGKILL, again and again,
while POs are created and approved: afterwards every matching event reached
every endpoint at least once, repeats carry the same webhook-id, each PO's
events arrived in order at each endpoint, no endpoint got a type its filter
excludes, and nothing crossed orgs (docs/integrators/webhooks.md). A real `procura
serve` and `procura worker` on PostgreSQL, real receivers."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from testkit.receiver import Receiver
from testkit.server import ROOT, running_server, wait_until
from tests.webhooks.test_worker_delivery import ENV, Org

pytestmark = pytest.mark.postgres

LOAD_SECONDS, KILLS = 15, 3
FILTERS = {"all": (), "approvals": ("purchase_order.approved",),
           "early": ("purchase_order.created", "purchase_order.submitted")}


def start_worker(url: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT,
                            env={**os.environ, **ENV, "DATABASE_URL": url},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def load(orgs: list[Org], stop: threading.Event) -> None:
    """Create, submit and approve POs in every org until stopped."""
    while not stop.is_set():
        for org in orgs:
            org.approved_po()


def feed(org: Org) -> list[dict]:
    """Every event of the org, from GET /events."""
    events, cursor = [], None
    while True:
        page = org.admin.get("/events?limit=500" + (f"&after={cursor}" if cursor else "")).get_json()
        if not page["items"]:
            return events
        events += page["items"]
        cursor = page["next_cursor"]


def caught_up(org: Org) -> bool:
    """Whether every read model (the feed's among them) has reached the store's head."""
    answer = org.admin.get("/projections")
    return answer.status_code == 200 and all(p["lag"] == 0 for p in answer.get_json()["projections"])


def test_deliveries_survive_a_worker_killed_three_times_during_creates_and_approvals(module_pg_database_url):
    url = module_pg_database_url
    with running_server({**ENV, "DATABASE_URL": url}, workers=1, threads=8) as base, \
            Receiver() as everything, Receiver() as approvals, Receiver() as early, Receiver() as elsewhere:
        ours, theirs = Org(base), Org(base)
        receivers = {"all": everything, "approvals": approvals, "early": early}
        for name, receiver in receivers.items():
            ours.endpoint(receiver, *FILTERS[name])
        theirs.endpoint(elsewhere)
        stop = threading.Event()
        loader = threading.Thread(target=load, args=([ours, theirs], stop), daemon=True)
        worker = start_worker(url)
        loader.start()
        try:
            for _ in range(KILLS):
                time.sleep(LOAD_SECONDS / KILLS)
                worker.kill()  # SIGKILL: no chance to finish a request or record it
                worker.wait()
                worker = start_worker(url)
            stop.set()
            loader.join(30)
            # The last worker may have started just now, on a loaded machine: the feed is complete once it caught up.
            wait_until(lambda: caught_up(ours), timeout=60, what="the last worker to reach the store's head")
            events = feed(ours)
            assert len(events) >= 3 * KILLS

            def delivered(receiver: Receiver, types: tuple[str, ...]) -> bool:
                wanted = {e["id"] for e in events if not types or e["type"] in types}
                return wanted <= {d.event["id"] for d in receiver.deliveries()}

            wait_until(lambda: all(delivered(receivers[n], FILTERS[n]) for n in FILTERS), timeout=30,
                       what="every matching event at every endpoint")
        finally:
            stop.set()
            worker.terminate()
            worker.wait(30)  # it finishes the batch and the sends in hand first, slower on a loaded machine
        for name, receiver in receivers.items():
            got = receiver.deliveries()
            assert all(d.verified for d in got)
            assert all(d.event["org"] == ours.name for d in got)
            assert not FILTERS[name] or {d.event["type"] for d in got} <= set(FILTERS[name])
            ids_per_event: dict[str, set[str]] = {}
            for d in got:
                ids_per_event.setdefault(d.event["id"], set()).add(d.webhook_id)
            assert all(len(ids) == 1 for ids in ids_per_event.values())  # repeats carry the same webhook-id
            firsts: dict[str, dict] = {}
            for d in got:
                firsts.setdefault(d.event["id"], d.event)
            first_arrivals = list(firsts.values())  # in the order each event first arrived
            for po in {e["po_id"] for e in first_arrivals}:
                positions = [e["position"] for e in first_arrivals if e["po_id"] == po]
                assert positions == sorted(positions), (name, po)
        assert all(d.event["org"] == theirs.name for d in elsewhere.deliveries())
