"""Events and snapshots stored in the v1 shape (line items without a unit)
load in the current shape, on every backend."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from app.bootstrap import build_services, create_app
from tests.conftest import User

FIXTURE = json.loads((Path(__file__).parent.parent / "fixtures" / "events_v1.json").read_text())
PO_ID = UUID(FIXTURE["originator_id"])


def stored(row) -> StoredEvent:
    return StoredEvent(PO_ID, row["version"], row["topic"], json.dumps(row["state"]).encode())


@pytest.fixture
def v1_store(any_backend_settings):
    services = build_services(dataclasses.replace(any_backend_settings, snapshot_interval=0))
    services.event_store.recorder.insert_events([stored(row) for row in FIXTURE["events"]])
    yield services
    services.close()


def test_v1_events_load_with_every_line_measured_in_each(v1_store):
    po = v1_store.event_store.purchase_order(PO_ID)
    assert [(line.sku, line.unit) for line in po.lines] == [("PAP-A4", "each"), ("TON-1", "each")]
    assert po.total == sum(line.amount for line in po.lines) and str(po.total) == "427.00"


def test_a_v1_po_can_be_read_and_revised_through_the_api(v1_store):
    alice = User(create_app(services=v1_store).test_client())
    shown = alice.get(f"/purchase-orders/{PO_ID}").get_json()
    assert [line["unit"] for line in shown["lines"]] == ["each", "each"]
    assert alice.command(PO_ID, "submit", 2).get_json()["status"] == "submitted"


def test_a_v1_snapshot_loads_with_units_too(any_backend_settings):
    services = build_services(dataclasses.replace(any_backend_settings, snapshot_interval=100))
    try:
        services.event_store.recorder.insert_events([stored(row) for row in FIXTURE["events"]])
        services.event_store.snapshots.recorder.insert_events([stored(FIXTURE["snapshot"])])
        po = services.event_store.purchase_order(PO_ID)
        assert [line.unit for line in po.lines] == ["each", "each"] and po.version == 2
    finally:
        services.close()


def test_new_lines_keep_the_unit_the_client_sent(client):
    from tests.conftest import po_body

    body = po_body(lines=[{"sku": "CAB-1", "description": "Cable", "quantity": 5, "unit": "m", "unit_price": "1.20"}])
    assert User(client).post("/purchase-orders", body).get_json()["lines"][0]["unit"] == "m"
