"""Races through a real server (`procura serve`, 2 worker processes) on PostgreSQL:
duplicates and conflicts must resolve to exactly one effect."""

from __future__ import annotations

import psycopg
import pytest
import requests

from testkit.races import race
from testkit.server import running_server
from tests.conftest import SECRET, po_body, token

pytestmark = pytest.mark.postgres


@pytest.fixture
def server(pg_database_url):
    with running_server({"DATABASE_URL": pg_database_url, "PROCURA_JWT_SECRET": SECRET}) as base:
        yield base


def headers(key: str, **extra) -> dict:
    return {"Authorization": f"Bearer {token()}", "Idempotency-Key": key, **extra}


def stored_event_topics(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute("SELECT topic FROM procura_events ORDER BY notification_id")]


def test_twelve_simultaneous_creates_with_one_key_create_exactly_one_po(server, pg_database_url):
    responses = race(12, lambda _: requests.post(f"{server}/purchase-orders", json=po_body(),
                                               headers=headers("one-key"), timeout=30))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [r for r in responses if r.status_code == 201]
    assert len({r.json()["id"] for r in created}) == 1
    assert all(r.json()["type"] == "/problems/idempotency-key-in-flight"
               for r in responses if r.status_code == 409)
    assert stored_event_topics(pg_database_url).count("aggregates.purchase_order:PurchaseOrder.Created") == 1


def test_two_commands_racing_on_one_version_give_one_success_and_one_conflict(server, pg_database_url):
    po = requests.post(f"{server}/purchase-orders", json=po_body(), headers=headers("create"), timeout=30).json()
    url = f"{server}/purchase-orders/{po['id']}"
    def submit(index):
        key = f"submit-{index}"
        return requests.post(f"{url}/submit", headers=headers(key, **{"If-Match": '"1"'}), timeout=30)

    responses = race(2, submit)
    assert sorted(r.status_code for r in responses) == [200, 409]
    conflict = next(r.json() for r in responses if r.status_code == 409)
    assert conflict["type"] == "/problems/version-conflict"
    assert (conflict["current_version"], conflict["current_status"]) == (2, "submitted")
    assert stored_event_topics(pg_database_url).count("aggregates.purchase_order:PurchaseOrder.Submitted") == 1


def test_a_retry_after_a_race_gets_the_answer_the_loser_was_given(server):
    po = requests.post(f"{server}/purchase-orders", json=po_body(), headers=headers("c2"), timeout=30).json()
    url = f"{server}/purchase-orders/{po['id']}"
    def cancel(index):
        key = f"cancel-{index}"
        return key, requests.post(f"{url}/cancel", json={"reason": "dup"},
                                  headers=headers(key, **{"If-Match": '"1"'}), timeout=30)

    for key, first in race(2, cancel):
        again = requests.post(f"{url}/cancel", json={"reason": "dup"},
                              headers=headers(key, **{"If-Match": '"1"'}), timeout=30)
        assert (again.status_code, again.content) == (first.status_code, first.content)
        assert again.headers["Idempotent-Replayed"] == "true"
