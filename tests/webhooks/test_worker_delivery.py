"""Webhook delivery end to end: a real `procura serve` and `procura worker`
on PostgreSQL, real receivers verifying signatures (docs/integrators/webhooks.md). Each
endpoint gets its org's matching events, signed and in each PO's order; an
endpoint that answers 500 for a while gets them once it recovers; a hanging
endpoint does not hold back the others."""

from __future__ import annotations

import time
import uuid

import pytest

from testkit.receiver import Receiver
from testkit.server import LiveClient, running_server, running_worker, wait_until
from tests.conftest import SECRET, User

pytestmark = pytest.mark.postgres

ENV = {"PROCURA_JWT_SECRET": SECRET, "PROCURA_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
       "PROCURA_WEBHOOK_RETRY_SCHEDULE": "0,1s,1s,1s,1s", "PROCURA_WEBHOOK_TIMEOUT_MS": "500"}


def worker(url: str, **env: str):
    """`procura worker` on `url` with the webhook settings above; SIGTERM (then SIGKILL) when the block ends."""
    return running_worker({**ENV, "DATABASE_URL": url, **env})


@pytest.fixture(scope="module")
def live(module_pg_database_url):
    with running_server({**ENV, "DATABASE_URL": module_pg_database_url}, workers=1, threads=8) as base, \
            worker(module_pg_database_url):
        yield base


class Org:
    def __init__(self, base: str):
        client = LiveClient(base)
        self.name = f"org-{uuid.uuid4().hex[:8]}"
        self.requester = User(client, "alice", ("requester",), self.name)
        self.approver = User(client, "bob", ("approver",), self.name, approval_limit="99999.00")
        self.admin = User(client, "root", ("admin",), self.name, department=None)

    def endpoint(self, receiver: Receiver, *types: str) -> dict:
        created = self.admin.client.post("/webhook-endpoints", json={"url": receiver.url, "event_types": list(types)},
                                         headers=self.admin.auth)
        assert created.status_code == 201, created.get_data(as_text=True)
        receiver.secrets = [created.get_json()["secret"]]
        return created.get_json()

    def approved_po(self) -> str:
        po_id = self.requester.create().get_json()["id"]
        assert self.requester.command(po_id, "submit", 1).status_code == 200
        assert self.approver.command(po_id, "approve", 2).status_code == 200
        return po_id


def arrived(receiver: Receiver, count: int, timeout: float = 15) -> list[dict]:
    """The first event of each webhook-id, once `count` distinct ones arrived."""
    def enough():
        firsts = {}
        for delivery in receiver.deliveries():
            firsts.setdefault(delivery.webhook_id, delivery)
        return list(firsts.values()) if len(firsts) >= count else None
    return [d.event for d in wait_until(enough, timeout=timeout, what=f"{count} deliveries")]


def test_each_endpoint_gets_its_orgs_matching_events_signed_and_in_order(live):
    ours, theirs = Org(live), Org(live)
    with Receiver() as everything, Receiver() as approvals, Receiver() as other:
        ours.endpoint(everything)
        ours.endpoint(approvals, "purchase_order.approved")
        theirs.endpoint(other)
        po_ids = [ours.approved_po(), ours.approved_po()]
        their_po = theirs.approved_po()
        got = arrived(everything, 6)
        assert all(d.verified for d in everything.deliveries() + approvals.deliveries() + other.deliveries())
        for po_id in po_ids:
            assert [e["type"] for e in got if e["po_id"] == po_id] == [
                "purchase_order.created", "purchase_order.submitted", "purchase_order.approved"]
        assert sorted(e["po_id"] for e in arrived(approvals, 2)) == sorted(po_ids)
        assert {e["type"] for e in approvals.events()} == {"purchase_order.approved"}
        assert {e["po_id"] for e in arrived(other, 3)} == {their_po}
        assert {e["org"] for e in everything.events()} == {ours.name}


def test_an_endpoint_answering_500_for_a_while_gets_every_event_once_it_recovers(live):
    org = Org(live)
    failures = 4
    with Receiver(reply=lambda n, d: (500, {}, b"down") if n < failures else (200, {}, b"ok")) as receiver:
        endpoint = org.endpoint(receiver)
        po_id = org.approved_po()
        got = arrived(receiver, 3)
        assert [e["type"] for e in got] == ["purchase_order.created", "purchase_order.submitted",
                                            "purchase_order.approved"]
        assert all(e["po_id"] == po_id for e in got)
        ids = [d.webhook_id for d in receiver.deliveries()]
        assert ids[:failures + 1] == [ids[0]] * (failures + 1)  # every retry carries the same webhook-id
        assert org.admin.get(f"/webhook-endpoints/{endpoint['id']}").get_json()["failing_since"] is None


def test_a_hanging_endpoint_does_not_hold_back_the_others(live):
    org = Org(live)

    def hang(n, d):
        time.sleep(3)
        return 200, {}, b"late"

    with Receiver(reply=hang) as slow, Receiver() as healthy:
        org.endpoint(slow)
        org.endpoint(healthy)
        for _ in range(3):
            org.approved_po()
        started = time.monotonic()
        arrived(healthy, 9, timeout=10)
        assert time.monotonic() - started < 5
        assert len(slow.deliveries()) >= 1  # the slow one was tried meanwhile, and timed out
