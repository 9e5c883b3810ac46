"""The Python SDK (clients/python) against a real `procura serve` on
PostgreSQL, with `procura worker` and the fake Acme supplier: the whole PO
flow through it; an answer lost after the server committed, retried without
a duplicate; a conflict resolved by refresh and re-apply; 429 and 503
retried after their Retry-After; a 422 raised at once with its pointers; and
a real webhook delivery verified by its helper (docs/integrators/sdk.md)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
import requests
from procura_client import (
    Conflict,
    Procura,
    PurchaseOrderOut,
    RetryPolicy,
    ValidationFailed,
    WebhookVerifier,
)
from procura_client._generated.api.webhooks import create_webhook_endpoint
from procura_client._generated.models.endpoint_in import EndpointIn
from procura_client._generated.models.endpoint_with_secret_out import EndpointWithSecretOut

from testkit.faulty_proxy import FaultyProxy
from testkit.receiver import Receiver
from testkit.server import ROOT, answers, free_port, running_server, running_worker, stop, wait_until
from tests.conftest import SECRET, token

pytestmark = pytest.mark.postgres

API_KEY = "sdk-acme-key"
WEBHOOK_SECRET = "whsec_dGVzdC1hY21lLXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3"
#: Commands per caller: few enough that a test reaches the limit at will.
COMMANDS_PER_SECOND = 5


@pytest.fixture(scope="module")
def live(module_pg_database_url):
    supplier_port = free_port()
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET,
           "PROCURA_SUPPLIER_URL": f"http://127.0.0.1:{supplier_port}", "PROCURA_SUPPLIER_API_KEY": API_KEY,
           "PROCURA_WEBHOOK_SECRETS": f"acme={WEBHOOK_SECRET}", "PROCURA_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
           "PROCURA_RATE_LIMIT_COMMANDS": f"{COMMANDS_PER_SECOND}/second"}
    with running_server(env, workers=1, threads=8) as base:
        supplier = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "fake-supplier", "--port", str(supplier_port), "--api-key", API_KEY,
             "--webhook-secret", WEBHOOK_SECRET, "--callback-url", base + "/callbacks/suppliers/acme"],
            cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_until(lambda: answers(f"http://127.0.0.1:{supplier_port}/_faults"), 20, what="the fake supplier")
            with running_worker(env):
                yield base
        finally:
            stop(supplier)


class Org:
    """A fresh organisation; `sdk(...)` is a client for one of its people,
    recording every wait its retries made."""

    def __init__(self, base: str):
        self.base = base
        self.name = f"org-{uuid.uuid4().hex[:8]}"
        self.waits: list[float] = []

    def sdk(self, sub: str, *roles: str, base: str | None = None, **claims) -> Procura:
        policy = RetryPolicy(sleep=self._sleep)
        return Procura(base or self.base, token(sub, roles, org=self.name, **claims), retry=policy)

    def _sleep(self, seconds: float) -> None:
        import time

        self.waits.append(seconds)
        time.sleep(seconds)


def draft(**changes) -> dict:
    body = {"title": "Monitors", "supplier_id": "acme", "currency": "EUR",
            "needed_by": (date.today() + timedelta(days=30)).isoformat(),
            "lines": [{"sku": "MON-27", "description": "27-inch monitor", "quantity": 4, "unit_price": "289.00"}]}
    return body | changes


def test_a_po_goes_from_draft_to_received_through_the_sdk(live):
    org = Org(live)
    alice, bob = org.sdk("alice", "requester"), org.sdk("bob", "approver", approval_limit="5000.00")
    carol = org.sdk("carol", "buyer", department="purchasing")
    po = alice.create(draft())
    assert (po.status, po.version) == ("draft", 1)
    po = alice.submit(po)
    po = bob.approve(po)
    assert (po.status, po.version) == ("approved", 3)
    placement = carol.place(po)
    done = carol.wait_for(placement, timeout=60)
    assert done.status == "succeeded" and done.result is not None
    shipped = wait_until(lambda: (p := carol.get(po.id)).tracking_number and p, 30, 0.2, what="the shipment")
    received = carol.receive(shipped)
    assert received.status == "received"
    # The list is a read model: the SDK's min_position makes it show carol's own write.
    [listed] = carol.list_purchase_orders().items
    assert (listed.id, listed.status, listed.version) == (str(po.id), "received", received.version)
    assert carol.position >= received.version


def test_a_requester_withdraws_a_submitted_po_through_the_sdk_with_or_without_a_reason(live):
    alice = Org(live).sdk("alice", "requester")
    withdrawn = alice.withdraw(alice.submit(alice.create(draft())), "wrong supplier")
    assert (withdrawn.status, withdrawn.version, withdrawn.withdrawal_reason) == ("draft", 3, "wrong supplier")
    again = alice.withdraw(alice.submit(withdrawn))
    assert (again.status, again.version) == ("draft", 5)


def test_a_create_whose_answer_was_lost_is_retried_with_its_key_and_makes_one_po(live):
    org = Org(live)
    with FaultyProxy(int(live.rsplit(":", 1)[1])) as proxy:
        alice = org.sdk("alice", "requester", base=proxy.url)
        proxy.lose_answer_once(b"POST /purchase-orders ")
        po = alice.create(draft(title="Lost answer"), idempotency_key="lost-answer-create")
        assert (proxy.faults_done, proxy.answers_lost) == (1, 1)
        # Still through the proxy, while it listens: alice's base is its address.
        listed = alice.list_purchase_orders().items
        [created] = alice.history(po.id).events
    assert po.status == "draft" and po.title == "Lost answer"
    assert [p.id for p in listed] == [str(po.id)]
    assert (created.type_, created.command_id) == ("Created", "lost-answer-create")


def test_a_version_conflict_is_resolved_by_refreshing_and_reapplying_when_the_caller_says_it_is_safe(live):
    org = Org(live)
    alice = org.sdk("alice", "requester")
    first = alice.create(draft())
    revised = alice.revise(first, draft(title="Monitors, revised"))
    with pytest.raises(Conflict) as refused:
        alice.submit(first)
    conflict = refused.value
    assert (conflict.current_version, conflict.expected_version, conflict.current_status) == (2, 1, "draft")
    assert "submit" in conflict.allowed_actions
    assert [(c.version, c.type_) for c in conflict.changes_since] == [(2, "Revised")]

    seen: list[tuple[int, PurchaseOrderOut]] = []

    def safe(conflict: Conflict, fresh: PurchaseOrderOut) -> bool:
        seen.append((conflict.current_version or 0, fresh))
        return [c.type_ for c in conflict.changes_since] == ["Revised"]

    submitted = alice.reapply(alice.submit, first, safe=safe)
    assert (submitted.status, submitted.version) == ("submitted", 3)
    assert [(v, p.version, p.title) for v, p in seen] == [(2, 2, revised.title)]


def test_a_conflict_the_caller_does_not_call_safe_is_raised(live):
    org = Org(live)
    alice = org.sdk("alice", "requester")
    first = alice.create(draft())
    alice.revise(first, draft(title="Changed meanwhile"))
    with pytest.raises(Conflict):
        alice.reapply(alice.submit, first, safe=lambda conflict, fresh: False)
    assert alice.get(first.id).status == "draft"


def test_commands_past_the_rate_limit_are_retried_after_retry_after_and_all_succeed(live):
    org = Org(live)
    alice = org.sdk("alice", "requester")
    count = 2 * COMMANDS_PER_SECOND
    # At once, so that more arrive within the limit's second than it allows.
    with ThreadPoolExecutor(count) as pool:
        created = list(pool.map(lambda n: alice.create(draft(title=f"PO {n}")), range(count)))
    assert len({po.id for po in created}) == count
    assert org.waits and all(wait >= 1 for wait in org.waits), org.waits
    assert len(alice.list_purchase_orders(limit=200).items) == count


def test_a_503_with_retry_after_is_retried_after_it_with_the_same_key(live):
    org = Org(live)
    problem = json.dumps({"type": "/problems/overloaded", "title": "Overloaded", "status": 503,
                          "detail": "busy", "instance": "x", "next_action": "retry_later"}).encode()
    answer = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: 2\r\n"
              b"Content-Length: " + str(len(problem)).encode() + b"\r\nConnection: close\r\n\r\n" + problem)
    with FaultyProxy(int(live.rsplit(":", 1)[1])) as proxy:
        alice = org.sdk("alice", "requester", base=proxy.url)
        proxy.answer_once(b"POST /purchase-orders ", answer)
        po = alice.create(draft(title="After a 503"))
        assert proxy.faults_done == 1
    assert org.waits == [2.0]
    assert [p.id for p in alice.list_purchase_orders().items] == [str(po.id)]


def test_a_422_is_raised_at_once_with_its_pointers(live):
    org = Org(live)
    alice = org.sdk("alice", "requester")
    with pytest.raises(ValidationFailed) as refused:
        alice.create(draft(currency="euros", supplier_id="globex"))
    assert refused.value.status == 422 and refused.value.slug == "validation-error"
    assert {e.pointer for e in refused.value.errors} == {"/currency", "/supplier_id"}
    assert org.waits == []


def test_a_webhook_delivery_from_procura_is_verified_by_the_sdks_helper(live):
    org = Org(live)
    root = org.sdk("root", "admin")
    with Receiver() as receiver:
        created = create_webhook_endpoint.sync(client=root.api, body=EndpointIn.from_dict(
            {"url": receiver.url, "event_types": ["purchase_order.created"]}))
        assert isinstance(created, EndpointWithSecretOut)
        po = org.sdk("alice", "requester").create(draft())
        [delivery] = wait_until(lambda: receiver.deliveries(), 30, 0.1, what="the delivery")
    event = WebhookVerifier(created.secret).verify(delivery.body, delivery.headers)
    assert (event.type_, event.po_id, event.po_version) == ("purchase_order.created", po.id, 1)


def walkthrough_blocks() -> list[str]:
    """The ```python blocks of docs/integrators/sdk.md's walkthrough, in order."""
    page = (ROOT / "docs" / "integrators" / "sdk.md").read_text()
    section = page.split("<!-- sdk-walkthrough:start -->", 1)[1].split("<!-- sdk-walkthrough:end -->", 1)[0]
    return re.findall(r"```python\n(.*?)\n```", section, re.DOTALL)


def test_the_sdk_pages_walkthrough_takes_one_po_from_create_to_received(live, monkeypatch, capsys):
    org = f"org-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PROCURA", live)
    monkeypatch.setenv("ALICE", token("alice", ("requester",), org=org, department="engineering"))
    monkeypatch.setenv("BOB", token("bob", ("approver",), org=org, department="engineering",
                                    approval_limit="5000.00"))
    monkeypatch.setenv("CAROL", token("carol", ("buyer",), org=org, department="purchasing"))
    monkeypatch.setenv("ERIN", token("erin", ("auditor",), org=org, department="finance"))
    blocks = walkthrough_blocks()
    assert len(blocks) == 9
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/integrators/sdk.md", "exec"), namespace)
    po = namespace["po"]
    assert (po.status, po.version) == ("received", 7)
    printed = capsys.readouterr().out.splitlines()
    assert printed[1:3] == ["v2 submitted", "v3 approved"] and printed[-8] == "submitted", printed
    assert [line.split()[:2] for line in printed[-7:]] == [[str(v), t] for v, t in zip(
        range(7, 0, -1), ("Received", "Shipped", "Placed", "PlacementRequested", "Approved", "Submitted", "Created"),
        strict=True)], printed


def test_procura_serve_serves_the_document_the_committed_client_was_generated_from(live):
    generator = importlib.util.spec_from_file_location("procura_sdk_generate", ROOT / "clients/python/generate.py")
    generate = importlib.util.module_from_spec(generator)
    generator.loader.exec_module(generate)
    served = requests.get(live + "/openapi.json", timeout=10)
    assert served.status_code == 200
    assert json.loads(served.content) == json.loads(generate.served_document())
