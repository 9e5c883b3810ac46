"""Procura on PostgreSQL, served over real HTTP in this process, with the fake
Acme partner (a real HTTP server too) sending signed callbacks to it."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

import pytest
import requests
from werkzeug.serving import make_server

from app.bootstrap import build_services, create_app
from app.config import PlacementTuning
from partners.acme_fake import AcmeFake
from testkit.server import SERVE_POLL, LiveClient, free_port, wait_until
from tests.conftest import User, postgres_settings

API_KEY = "test-acme-key"
WEBHOOK_SECRET = "whsec_dGVzdC1hY21lLXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3"
#: Small numbers, so faults play out in well under a second each.
FAST = PlacementTuning(call_timeout=0.5, max_attempts=4, backoff_base=0.05, backoff_cap=0.3,
                       circuit_threshold=3, circuit_cooldown=0.6, lease=2.0, deadline=60.0,
                       queued_recheck=30.0, threads=2)


@dataclass
class Partner:
    """The fake supplier, driven over its HTTP switches."""

    fake: AcmeFake

    @property
    def url(self) -> str:
        return self.fake.url

    def faults(self, **switches) -> None:
        requests.post(self.url + "/_faults", json=switches, timeout=5).raise_for_status()

    def orders(self, po_id: str | None = None) -> list[dict]:
        orders = requests.get(self.url + "/_orders", timeout=5).json()["orders"]
        return [o for o in orders if po_id is None or o["clientRef"] == po_id]

    def calls_in_flight(self, po_id: str) -> list[dict]:
        """The order requests for `po_id` the partner is answering now (held by its latency)."""
        calls = requests.get(self.url + "/_calls", timeout=5).json()["in_flight"]
        return [c for c in calls if c["client_ref"] == po_id]

    def live_orders(self, po_id: str) -> list[dict]:
        return [o for o in self.orders(po_id) if o["state"] != "NACK"]


@dataclass
class Stack:
    base: str
    services: object
    partner: Partner
    client: LiveClient
    executor: object = None

    @property
    def alice(self) -> User:
        return User(self.client)

    @property
    def bob(self) -> User:
        return User(self.client, "bob", ("approver",), approval_limit="100000.00")

    @property
    def carol(self) -> User:
        return User(self.client, "carol", ("buyer",), department="purchasing")

    def approved_po(self, **changes) -> tuple[str, int]:
        """A PO alice created and bob approved: (id, version)."""
        po = self.alice.create(**changes).get_json()
        assert self.alice.command(po["id"], "submit", 1).status_code == 200
        assert self.bob.command(po["id"], "approve", 2).status_code == 200
        return po["id"], 3

    def place(self, po_id: str, version: int, key: str | None = None) -> dict:
        response = self.carol.command(po_id, "place", version, key=key)
        assert response.status_code == 202, response.get_json()
        return response.get_json()

    def operation(self, op_id: str):
        return self.carol.get(f"/operations/{op_id}")

    def history(self, po_id: str) -> list[dict]:
        """The PO's events, oldest first (its history's first page, newest first, reversed: these POs are short)."""
        page = User(self.client, "erin", ("auditor",), department="finance").get(
            f"/purchase-orders/{po_id}/history").get_json()
        assert page["next_cursor"] is None
        return page["events"][::-1]

    def po(self, po_id: str) -> dict:
        return self.carol.get(f"/purchase-orders/{po_id}").get_json()

    def finished(self, op_id: str, timeout: float = 10.0) -> dict:
        """The operation once it has succeeded or failed."""
        def done():
            body = self.operation(op_id).get_json()
            return body if body["status"] in ("succeeded", "failed") else None
        return wait_until(done, timeout, what=f"operation {op_id} to finish")

    def po_when(self, po_id: str, predicate, timeout: float = 10.0, what: str = "the PO") -> dict:
        return wait_until(lambda: (lambda po: po if predicate(po) else None)(self.po(po_id)), timeout, what=what)


@pytest.fixture
def partner():
    fake = AcmeFake(api_key=API_KEY, callback_url="http://127.0.0.1:9/unset", webhook_secret=WEBHOOK_SECRET,
                    port=0).start()
    yield Partner(fake)
    fake.stop()


def stack_settings(database_url: str, partner: Partner, tuning: PlacementTuning = FAST):
    return dataclasses.replace(postgres_settings(database_url), supplier_url=partner.url, supplier_api_key=API_KEY,
                               webhook_secrets={"acme": WEBHOOK_SECRET}, placement=tuning)


@pytest.fixture
def make_stack(pg_database_url, partner):
    """Start Procura (HTTP, projections, and unless told otherwise placement)."""
    stopping = []

    def start(*, placing: bool = True, tuning: PlacementTuning = FAST) -> Stack:
        port = free_port()
        partner.fake.callback_url = f"http://127.0.0.1:{port}/callbacks/suppliers/acme"
        services = build_services(stack_settings(pg_database_url, partner, tuning))
        server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
        threading.Thread(target=server.serve_forever, kwargs=SERVE_POLL, daemon=True).start()
        supervisor = services.supervisor().start()
        executor = services.suppliers.executor().start() if placing else None
        stopping.append((server, supervisor, executor, services))
        base = f"http://127.0.0.1:{port}"
        return Stack(base, services, partner, LiveClient(base), executor)

    yield start
    for server, supervisor, executor, services in stopping:
        if executor:
            executor.stop()
        supervisor.stop()
        server.shutdown()
        services.close()


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack()
