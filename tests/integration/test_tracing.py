"""Tracing through real processes: `procura serve`, `procura worker` and
`procura fake-supplier` on PostgreSQL, exporting to an OTLP/HTTP receiver
the test runs. One create -> submit -> approve -> place -> supplier callback
journey, its requests sent under one `traceparent` as a client's own trace
would, must come out as one trace across the processes."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from testkit.otlp import OtlpReceiver, ReceivedSpan
from testkit.receiver import Receiver
from testkit.server import ROOT, LiveClient, answers, free_port, running_worker, serving_process, stop, wait_until
from tests.conftest import SECRET, User, po_body

pytestmark = pytest.mark.postgres

API_KEY = "trace-acme-key"
WEBHOOK_SECRET = "whsec_dGVzdC1hY21lLXdlYmhvb2stc2VjcmV0LTAxMjM0NTY3"
TRACE_ID = secrets.token_hex(16)
#: The client's own span, parent of everything the journey causes.
SENT = {"traceparent": f"00-{TRACE_ID}-{secrets.token_hex(8)}-01"}


class Journey:
    def __init__(self, spans: list[ReceivedSpan], answers: dict, log: str, webhooks: list):
        self.spans = spans
        self.answers = answers
        self.webhooks = webhooks
        self.log_lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]

    def named(self, name: str) -> list[ReceivedSpan]:
        return [s for s in self.spans if s.name == name]

    def by_id(self, span_id: str | None) -> ReceivedSpan | None:
        return next((s for s in self.spans if s.span_id == span_id), None)


def _fake_supplier(port: int, callback_url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "fake-supplier", "--port", str(port), "--api-key", API_KEY,
         "--webhook-secret", WEBHOOK_SECRET, "--callback-url", callback_url],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _callback_applied(otlp: OtlpReceiver) -> bool:
    return any(s.name == "apply supplier callback" and s.trace_id == TRACE_ID for s in otlp.spans)


def _subscribe(client: LiveClient, receiver: Receiver) -> None:
    admin = User(client, "root", ("admin",), department=None)
    created = client.post("/webhook-endpoints", json={"url": receiver.url, "event_types": ["purchase_order.approved"]},
                          headers=admin.auth)
    assert created.status_code == 201, created.get_json()
    receiver.secrets = [created.get_json()["secret"]]


def _drive(client: LiveClient) -> dict:
    alice = User(client)
    bob = User(client, "bob", ("approver",), approval_limit="100000.00")
    carol = User(client, "carol", ("buyer",), department="purchasing")
    created = alice.post("/purchase-orders", po_body(), headers=SENT)
    po_id = created.get_json()["id"]
    steps = {"create": created,
             "submit": alice.command(po_id, "submit", 1, headers=SENT),
             "approve": bob.command(po_id, "approve", 2, headers=SENT),
             "place": carol.command(po_id, "place", 3, headers=SENT),
             "refused": alice.post("/purchase-orders", po_body(currency="euros"), headers=SENT)}
    assert [r.status_code for r in steps.values()] == [201, 200, 200, 202, 422], [r.get_json() for r in steps.values()]
    return steps


@pytest.fixture(scope="module")
def journey(module_pg_database_url) -> Journey:
    supplier_port = free_port()
    with OtlpReceiver() as otlp, Receiver() as webhooks, tempfile.TemporaryDirectory() as directory:
        env = {"PROCURA_WEBHOOK_ALLOW_HOSTS": "127.0.0.1","DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET,
               "PROCURA_SUPPLIER_URL": f"http://127.0.0.1:{supplier_port}", "PROCURA_SUPPLIER_API_KEY": API_KEY,
               "PROCURA_WEBHOOK_SECRETS": f"acme={WEBHOOK_SECRET}",
               "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        log = Path(directory) / "serve.log"
        with serving_process(env, workers=1, threads=4, log=log) as (base, _):
            supplier = _fake_supplier(supplier_port, base + "/callbacks/suppliers/acme")
            try:
                wait_until(lambda: answers(f"http://127.0.0.1:{supplier_port}/_faults"), 20, what="the fake supplier")
                with running_worker(env):
                    _subscribe(LiveClient(base), webhooks)
                    steps = _drive(LiveClient(base))
                    wait_until(lambda: _callback_applied(otlp), 60, 0.1, what="the supplier callback's span")
                    wait_until(lambda: any(s.name == "deliver webhook" for s in otlp.spans), 30, 0.1,
                               what="the webhook delivery's span")
            finally:
                stop(supplier)
            # The API's last spans (the callback's request) are exported within the batch delay.
            wait_until(lambda: any(s.name.startswith("POST /callbacks") for s in otlp.spans), 10, what="the callback")
        yield Journey(otlp.spans, steps, log.read_text(), webhooks.deliveries())


def test_the_journey_is_one_trace_across_the_api_the_worker_and_the_supplier(journey):
    traced = [s for s in journey.spans if s.trace_id == TRACE_ID]
    names = {s.name for s in traced}
    assert {"POST /purchase-orders", "POST /purchase-orders/<uuid:po_id>/place"} <= names, names
    assert "place order" in names  # the placement worker
    assert "apply events" in names  # the projection worker
    assert any(n.startswith("POST /callbacks/suppliers/") for n in names), names  # carried by the supplier


def test_every_database_transaction_and_the_supplier_call_has_a_span(journey):
    traced = [s for s in journey.spans if s.trace_id == TRACE_ID]
    transactions = [s for s in traced if s.name == "postgresql transaction"]
    parents = {journey.by_id(s.parent_id).name for s in transactions if journey.by_id(s.parent_id)}
    assert {"POST /purchase-orders", "place order", "apply supplier callback"} <= parents, parents
    call = [s for s in traced if s.name == "POST acme /api/v2/orders"]
    assert len(call) == 1 and call[0].kind == "client"
    assert journey.by_id(call[0].parent_id).name == "place order"


def test_the_placement_continues_the_trace_of_the_place_command(journey):
    placement = journey.named("place order")[0]
    place = journey.by_id(placement.parent_id)
    assert place.name == "POST /purchase-orders/<uuid:po_id>/place" and place.kind == "server"


def test_the_supplier_callback_is_linked_to_the_placements_trace(journey):
    applied = [s for s in journey.named("apply supplier callback") if s.trace_id == TRACE_ID][0]
    placement_spans = {s.span_id for s in journey.named("place order")}
    assert any(trace == TRACE_ID and span in placement_spans for trace, span in applied.links)


def test_each_answer_names_its_span_in_the_request_trace(journey):
    for answer in journey.answers.values():
        version, trace_id, span_id, flags = answer.headers["traceparent"].split("-")
        assert trace_id == TRACE_ID and journey.by_id(span_id).kind == "server"


def test_a_problem_carries_the_trace_id_of_its_request(journey):
    assert journey.answers["refused"].get_json()["trace_id"] == TRACE_ID


def test_the_servers_request_log_lines_carry_the_trace_id(journey):
    created = journey.answers["create"].headers["X-Request-Id"]
    lines = [line for line in journey.log_lines if line.get("request_id") == created]
    assert lines and all(line["trace_id"] == TRACE_ID for line in lines)


def test_the_webhook_delivery_of_an_event_joins_the_trace_of_the_request_that_caused_it(journey):
    delivered = [s for s in journey.named("deliver webhook") if s.trace_id == TRACE_ID]
    assert delivered and journey.by_id(delivered[0].parent_id).name == "POST /purchase-orders/<uuid:po_id>/approve"
    assert journey.webhooks[0].headers["traceparent"].split("-")[1] == TRACE_ID


def test_without_an_otlp_endpoint_answers_carry_no_trace(alice):
    refused = alice.post("/purchase-orders", po_body(currency="euros"), headers=SENT)
    assert refused.status_code == 422
    assert "traceparent" not in refused.headers and "trace_id" not in refused.get_json()
