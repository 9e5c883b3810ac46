"""The same application behaviour on in-memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC
from uuid import UUID

import pytest

from app.bootstrap import build_services, create_app
from tests.conftest import User, po_body


@pytest.fixture
def backend(any_backend_settings):
    services = build_services(any_backend_settings)
    client = create_app(services=services).test_client()
    yield services, client
    services.close()


def test_a_po_goes_from_draft_to_placing_with_one_event_per_command(backend):
    services, client = backend
    alice, bob = User(client), User(client, "bob", ("approver",), approval_limit="5000.00")
    carol = User(client, "carol", ("buyer",))
    po = alice.create().get_json()["id"]
    assert alice.command(po, "submit", 1).status_code == 200
    assert bob.command(po, "approve", 2).status_code == 200
    placed = carol.command(po, "place", 3)
    assert placed.status_code == 202
    stored = services.event_store.purchase_order(UUID(po))
    assert (stored.status, stored.version) == ("placing", 4)
    assert services.event_store.operation(UUID(placed.get_json()["id"])).status == "pending"


def test_a_retry_replays_and_appends_nothing(backend):
    services, client = backend
    alice = User(client)
    first = alice.post("/purchase-orders", po_body(), key="k")
    head = services.event_store.head_position()
    again = alice.post("/purchase-orders", po_body(), key="k")
    assert again.get_data() == first.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Event-Position"] == first.headers["Event-Position"] == str(head)
    assert services.event_store.head_position() == head


def test_a_refusal_is_recorded_without_events(backend):
    services, client = backend
    alice = User(client)
    po = alice.create().get_json()["id"]
    head = services.event_store.head_position()
    first = alice.command(po, "receive", 1, key="too-early")
    assert first.status_code == 403
    assert services.event_store.head_position() == head
    assert services.event_store.recorder.select_command("org-1", "alice", "too-early").status == 403


def test_a_stale_version_is_a_conflict_naming_the_current_one(backend):
    _, client = backend
    alice = User(client)
    po = alice.create().get_json()["id"]
    alice.command(po, "revise", 1, po_body(title="New"))
    conflict = alice.command(po, "submit", 1).get_json()
    assert (conflict["type"], conflict["current_version"]) == ("/problems/version-conflict", 2)


def test_expired_command_records_are_purged_and_fresh_ones_kept(backend):
    from datetime import datetime, timedelta

    services, client = backend
    User(client).post("/purchase-orders", po_body(), key="fresh")
    assert services.event_store.recorder.purge_commands(datetime.now(UTC) - timedelta(hours=24)) == 0
    assert services.event_store.recorder.purge_commands(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert services.event_store.recorder.select_command("org-1", "alice", "fresh") is None
