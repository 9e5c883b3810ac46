"""How soon the worker applies new events on PostgreSQL: woken by the events'
NOTIFY rather than its next poll, one thread per read model, and polling
alone behind a transaction pooler (where LISTEN cannot work)."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from projections import po_summary
from projections.runner import Follower, Processor, Supervisor
from testkit.server import wait_until
from tests.conftest import postgres_settings

#: Far longer than any test waits: a follower that only polled would miss every deadline below.
LONG_POLL = 120.0


@pytest.fixture
def settings(pg_database_url):
    return postgres_settings(pg_database_url)


def summary_position(services) -> int:
    return services.read_store.position(po_summary.PurchaseOrderSummary.name)


def created_position(alice) -> int:
    answer = alice.create()
    assert answer.status_code == 201
    return int(answer.headers["Event-Position"])


def test_a_created_order_reaches_the_list_without_waiting_for_the_poll_interval(services, alice):
    supervisor = services.supervisor()
    supervisor.idle_wait = LONG_POLL
    supervisor.start()
    try:
        assert supervisor.notifications.listening.wait(10)
        position = created_position(alice)
        wait_until(lambda: summary_position(services) >= position, 10, what="the PO summary to apply the create")
        assert alice.get("/purchase-orders").get_json()["items"][0]["version"] == 1
    finally:
        supervisor.stop()


def test_behind_a_transaction_pooler_the_worker_polls_and_does_not_listen(services, alice):
    pooled = dataclasses.replace(services, settings=dataclasses.replace(services.settings, db_pooler="transaction"))
    assert pooled.notifications() is None
    supervisor = pooled.supervisor()
    supervisor.idle_wait = 0.05
    supervisor.start()
    try:
        position = created_position(alice)
        wait_until(lambda: summary_position(services) >= position, 10, what="the polling worker to apply the create")
    finally:
        supervisor.stop()


class Stuck(Processor):
    """A read model whose batch hangs until released (a slow query, a lock)."""

    name = "stuck"

    def __init__(self):
        self.entered, self.release = threading.Event(), threading.Event()

    def apply(self, cur, batch) -> None:
        self.entered.set()
        self.release.wait(30)


def test_a_stuck_read_model_does_not_hold_back_the_others(services, alice):
    services.read_store.create_tracking([Stuck.name])
    stuck = Stuck()
    followers = [Follower(services.event_store, services.read_store, stuck), *services.followers()]
    supervisor = Supervisor(followers, idle_wait=0.05)
    supervisor.start()
    try:
        position = created_position(alice)
        assert stuck.entered.wait(10)
        wait_until(lambda: summary_position(services) >= position, 10, what="the PO summary beside a stuck model")
        assert services.read_store.position(Stuck.name) == 0
    finally:
        stuck.release.set()
        supervisor.stop()
