"""GET /purchase-orders/{id}/timeline tells a PO's whole story in order: its
events (commands, the placement worker's decisions, the supplier's answers
and callbacks), the commands refused on it, and each placement's attempts.
On SQLite and PostgreSQL, over real HTTP, with the fake supplier failing
when told to."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from werkzeug.serving import make_server

from app.bootstrap import build_services, create_app
from testkit.server import SERVE_POLL, LiveClient, free_port
from tests.conftest import User, po_body, sqlite_settings
from tests.placement.conftest import API_KEY, FAST, WEBHOOK_SECRET, Stack, stack_settings


@pytest.fixture(params=["sqlite", "postgres"])
def story_stack(request, partner, tmp_path):
    """Procura serving on one database, projections and placement running."""
    port = free_port()
    partner.fake.callback_url = f"http://127.0.0.1:{port}/callbacks/suppliers/acme"
    if request.param == "postgres":
        settings = stack_settings(request.getfixturevalue("pg_database_url"), partner)
    else:
        settings = dataclasses.replace(sqlite_settings(tmp_path), supplier_url=partner.url,
                                       supplier_api_key=API_KEY, webhook_secrets={"acme": WEBHOOK_SECRET},
                                       placement=FAST)
    services = build_services(settings)
    server = make_server("127.0.0.1", port, create_app(services=services), threaded=True)
    threading.Thread(target=server.serve_forever, kwargs=SERVE_POLL, daemon=True).start()
    supervisor = services.supervisor().start()
    executor = services.suppliers.executor().start()
    base = f"http://127.0.0.1:{port}"
    yield Stack(base, services, partner, LiveClient(base), executor)
    executor.stop()
    supervisor.stop()
    server.shutdown()
    services.close()


def timeline_of(who: User, po_id: str) -> dict:
    """The timeline's one page (these stories are short), its steps put oldest first."""
    response = who.get(f"/purchase-orders/{po_id}/timeline")
    assert response.status_code == 200, response.get_json()
    document = response.get_json()
    assert document["next_cursor"] is None
    return document | {"steps": document["steps"][::-1]}


def test_a_conflict_a_replayed_retry_and_a_failed_then_successful_placement_each_show_once_in_order(story_stack):
    stack = story_stack
    alice, bob, carol = stack.alice, stack.bob, stack.carol
    po_id = alice.create().get_json()["id"]
    assert alice.command(po_id, "submit", 1).status_code == 200
    stale = alice.command(po_id, "revise", 1, po_body(title="Changed my mind"), key="stale-revise")
    assert stale.status_code == 409
    assert bob.command(po_id, "approve", 2, key="approve-once").status_code == 200
    retried = bob.command(po_id, "approve", 2, key="approve-once")
    assert retried.headers["Idempotent-Replayed"] == "true"

    stack.partner.faults(error_rate=1.0)
    failed = stack.finished(stack.place(po_id, 3)["id"], timeout=30)
    assert failed["status"] == "failed"
    stack.partner.faults(error_rate=0.0, error_next=1)
    placed = stack.finished(stack.place(po_id, 5)["id"], timeout=30)
    assert placed["status"] == "succeeded"
    stack.po_when(po_id, lambda po: po["tracking_number"] is not None, what="the shipment callback")

    timeline = timeline_of(carol, po_id)

    kinds = [(s["kind"], s.get("type") or s["status"], s["actor"]) for s in timeline["steps"]]
    assert kinds == [
        ("event", "Created", "alice"), ("event", "Submitted", "alice"), ("refusal", 409, "alice"),
        ("event", "Approved", "bob"), ("event", "PlacementRequested", "carol"),
        ("event", "PlacementFailed", "placement-worker"), ("event", "PlacementRequested", "carol"),
        ("event", "Placed", "supplier:acme"), ("event", "Shipped", "supplier:acme")]
    refusal = timeline["steps"][2]
    assert (refusal["command_id"], refusal["problem"]) == ("stale-revise", stale.get_json())
    assert refusal["request_id"] == stale.headers["X-Request-Id"]
    assert timeline["steps"][3]["command_id"] == "approve-once"
    placed_step, shipped_step = timeline["steps"][7], timeline["steps"][8]
    assert placed_step["command"] == "confirm_placement" and placed_step["request_id"] is None  # the worker's call
    assert shipped_step["command"] == "record_shipment" and shipped_step["request_id"] is not None  # a callback
    assert (timeline["version"], timeline["status"]) == (8, "placed")

    first, second = timeline["operations"]
    assert (first["id"], first["status"], first["state"], first["attempts"]) == (failed["id"], "failed", "done", 4)
    assert first["last_error"] and len(first["attempt_log"]) == 4
    assert (second["id"], second["status"]) == (placed["id"], "succeeded")
    assert second["attempts"] == len(second["attempt_log"]) >= 2
    assert second["last_error"]  # the first call failed, then it was retried


def test_each_event_step_says_what_changed_and_the_state_after_it(story_stack):
    alice = story_stack.alice
    po_id = alice.create().get_json()["id"]
    alice.command(po_id, "revise", 1, po_body(title="Monitors"))

    created, revised = timeline_of(alice, po_id)["steps"]

    assert revised["changes"] == [{"field": "title", "before": "Laptops for new hires", "after": "Monitors"}]
    assert revised["state"]["title"] == "Monitors" and revised["state"]["version"] == 2
    assert created["state"]["title"] == "Laptops for new hires" and created["position"] < revised["position"]


def test_a_retried_command_shows_one_step(story_stack):
    alice = story_stack.alice
    po_id = alice.create().get_json()["id"]
    for _ in range(3):
        alice.command(po_id, "submit", 1, key="submit-once")

    assert [s.get("type") for s in timeline_of(alice, po_id)["steps"]] == ["Created", "Submitted"]


def test_whoever_may_not_read_the_po_gets_404(story_stack):
    po_id = story_stack.alice.create().get_json()["id"]
    for stranger in (User(story_stack.client, "zoe", department="ops"),
                     User(story_stack.client, "mallory", ("admin",), org="org-2")):
        refused = stranger.get(f"/purchase-orders/{po_id}/timeline")
        assert refused.status_code == 404 and refused.get_json()["type"] == "/problems/not-found"
