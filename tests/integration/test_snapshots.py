"""Snapshots: long streams load from the latest snapshot, and nothing a user
sees changes because of them."""

from __future__ import annotations

import dataclasses
from uuid import UUID

import pytest

from app.bootstrap import build_services, create_app
from tests.conftest import User, po_body


@pytest.fixture
def every_third_event(any_backend_settings):
    services = build_services(dataclasses.replace(any_backend_settings, snapshot_interval=3))
    yield services, User(create_app(services=services).test_client())
    services.close()


def test_a_long_stream_is_snapshotted_and_reads_the_same_as_a_full_replay(every_third_event):
    services, alice = every_third_event
    po = alice.create().get_json()["id"]
    for version in range(1, 8):
        assert alice.command(po, "revise", version, po_body(title=f"Title {version}")).status_code == 200
    snapshots = list(services.event_store.snapshots.get(UUID(po)))
    assert [s.originator_version for s in snapshots] == [3, 6]
    shown = alice.get(f"/purchase-orders/{po}").get_json()
    assert (shown["version"], shown["title"]) == (8, "Title 7")
    replayed = None
    for event in services.event_store.events.get(UUID(po)):
        replayed = event.mutate(replayed)
    assert replayed.title == shown["title"] and replayed.version == shown["version"]


def test_time_travel_before_and_between_snapshots_still_works(every_third_event):
    _, alice = every_third_event
    po = alice.create().get_json()["id"]
    for version in range(1, 8):
        alice.command(po, "revise", version, po_body(title=f"Title {version}"))
    assert alice.get(f"/purchase-orders/{po}?version=2").get_json()["title"] == "Title 1"
    assert alice.get(f"/purchase-orders/{po}?version=5").get_json()["title"] == "Title 4"
