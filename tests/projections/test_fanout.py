"""The worker's read models share one reader: one read of the store and one
transaction per batch, each model with its own tracking row. A model that
fails on an event rests while the others go on, and later resumes from its
own position, applying every event exactly once."""

from __future__ import annotations

import logging
import threading

import pytest

from aggregates.purchase_order import PurchaseOrder
from projections import po_summary
from projections.runner import Follower, Processor, Supervisor
from testkit.server import wait_until
from tests.conftest import postgres_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def settings(pg_database_url):
    return postgres_settings(pg_database_url)


class RefusesSubmissions(Processor):
    """A read model with a bug: it fails on every Submitted event until fixed."""

    name = "refuses_submissions"
    shares_transaction = True

    def __init__(self):
        self.fixed = threading.Event()
        self.failures = 0
        self.applied: list[int] = []

    def apply(self, cur, batch) -> None:
        if not self.fixed.is_set() and any(isinstance(p.event, PurchaseOrder.Submitted) for p in batch):
            self.failures += 1
            raise RuntimeError("a bug in this read model")
        self.applied.extend(p.position for p in batch)


def _position(services, name: str) -> int:
    return services.read_store.position(name)


def _created_and_submitted(alice) -> tuple[str, int]:
    created = alice.create()
    po_id = created.get_json()["id"]
    submitted = alice.command(po_id, "submit", 1)
    assert submitted.status_code == 200
    return po_id, int(submitted.headers["Event-Position"])


def test_a_read_model_failing_on_an_event_lets_the_others_advance_then_resumes_from_its_own_position(
        services, alice):
    services.read_store.create_tracking([RefusesSubmissions.name])
    buggy = RefusesSubmissions()
    followers = [*services.followers(), Follower(services.event_store, services.read_store, buggy)]
    supervisor = Supervisor(followers, idle_wait=0.02, error_wait=0.05).start()
    try:
        po_id, submitted_at = _created_and_submitted(alice)
        summary = po_summary.PurchaseOrderSummary.name
        wait_until(lambda: _position(services, summary) >= submitted_at, 10, what="the PO summary to pass the bug")
        wait_until(lambda: buggy.failures >= 2, 10, what="the buggy model to fail again on retry")
        assert _position(services, RefusesSubmissions.name) < submitted_at
        assert alice.get(f"/purchase-orders?min_position={submitted_at}").get_json()["items"][0]["status"] == \
            "submitted"

        buggy.fixed.set()
        wait_until(lambda: _position(services, RefusesSubmissions.name) >= submitted_at, 10,
                   what="the fixed model to resume")
    finally:
        supervisor.stop()
    wanted = [n.id for n in services.event_store.recorder.select_after(0, 1000) if buggy.wants(n.topic)]
    assert sorted(buggy.applied) == wanted  # every event once: none skipped by the failure, none twice



class BreaksSqlOnSubmissions(RefusesSubmissions):
    """A read model whose statement the database refuses on Submitted events
    until fixed. In a pipelined batch the refusal surfaces at a later
    member's read; it must still be this model that rests."""

    name = "breaks_sql_on_submissions"

    def apply(self, cur, batch) -> None:
        if not self.fixed.is_set() and any(isinstance(p.event, PurchaseOrder.Submitted) for p in batch):
            self.failures += 1
            cur.execute("INSERT INTO no_such_table (id) VALUES (1)")
            return
        self.applied.extend(p.position for p in batch)


def test_a_read_model_whose_sql_the_database_refuses_is_the_one_that_rests_while_those_after_it_advance(
        services, alice):
    services.read_store.create_tracking([BreaksSqlOnSubmissions.name])
    broken = BreaksSqlOnSubmissions()
    # First in the batch: every other member's statements follow its refused one in the pipeline.
    followers = [Follower(services.event_store, services.read_store, broken), *services.followers()]
    rested: list[str] = []
    handler = logging.Handler(level=logging.ERROR)
    handler.emit = lambda record: rested.append(record.fields["projection"])
    logging.getLogger("procura.projections").addHandler(handler)
    supervisor = Supervisor(followers, idle_wait=0.02, error_wait=0.05).start()
    try:
        po_id, submitted_at = _created_and_submitted(alice)
        others = [f.processor.name for f in followers[1:]]
        wait_until(lambda: all(_position(services, name) >= submitted_at for name in others), 10,
                   what="every other member to pass the refusal")
        assert _position(services, BreaksSqlOnSubmissions.name) < submitted_at
        broken.fixed.set()
        wait_until(lambda: _position(services, BreaksSqlOnSubmissions.name) >= submitted_at, 10,
                   what="the fixed model to resume")
    finally:
        supervisor.stop()
        logging.getLogger("procura.projections").removeHandler(handler)
    assert rested and set(rested) == {BreaksSqlOnSubmissions.name}
    wanted = [n.id for n in services.event_store.recorder.select_after(0, 1000) if broken.wants(n.topic)]
    assert sorted(broken.applied) == wanted
