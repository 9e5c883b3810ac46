"""Delivery in the worker's sender, in-process on PostgreSQL with a clock the
test moves (docs/integrators/webhooks.md): retries at the scheduled times, Retry-After,
recovery after an endpoint answered 500 for a while, 410 disabling, the
3-day disable, every attempt recorded, secret rotation, the address rules at
delivery time and redirects not followed. Receivers are real HTTP servers."""

from __future__ import annotations

import ssl
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.bootstrap import build_services
from app.config import WebhookTuning
from app.webhooks import tools
from app.webhooks.outbox import DELIVERED, DELIVERIES_CHANNEL, FAILED, PENDING
from app.webhooks.sender import WebhookSender
from projections.runner import fan_outs
from testkit import stores
from testkit.receiver import Receiver
from testkit.server import wait_until
from testkit.tls import make_certificates
from tests.conftest import postgres_settings, sqlite_settings

pytestmark = pytest.mark.postgres

ORG = "org-hooks"
SCHEDULE = (0.0, 5.0, 300.0, 1800.0)


class World:
    """Services on a fresh database, a clock the test sets, and a sender using it."""

    def __init__(self, url: str | None = None, *, settings=None, allow_hosts=("127.0.0.1",), **tuning):
        settings = settings or postgres_settings(url)
        self.tuning = WebhookTuning(allow_hosts=frozenset(allow_hosts), timeout=2.0, schedule=SCHEDULE, **tuning)
        self.services = build_services(replace(settings, webhooks=self.tuning))
        # A minute ahead: deliveries the worker records now are due at once by this clock.
        self.now = datetime.now(UTC) + timedelta(minutes=1)
        hooks = self.services.webhooks
        self.sender = WebhookSender(hooks.deliveries, hooks.endpoints, self.tuning, clock=lambda: self.now)

    def endpoint(self, url: str, types=()):
        return self.services.webhooks.endpoints.create(ORG, url=url, event_types=types, description="",
                                                       enabled=True, after_position=self.services.event_store.head_position())

    def events(self, pos: int = 1) -> None:
        """`pos` submitted POs (two public events each), projected into the outbox."""
        stores.grow(self.services.event_store, pos, ORG)
        for fanout in fan_outs(self.services.followers(), 1.0):
            while fanout.step():
                pass

    def send_due(self) -> int:
        sent = 0
        while self.sender.run_once():
            sent += 1
        return sent

    def at(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def deliveries(self, endpoint_id: str) -> list[dict]:
        return self.services.read_store.query(
            "SELECT * FROM procura_webhook_deliveries WHERE endpoint_id = %(e)s ORDER BY position",
            {"e": endpoint_id})

    def close(self):
        self.services.close()


@pytest.fixture
def world(pg_database_url):
    built = World(pg_database_url)
    yield built
    built.close()


def failing(times: int, status: int = 500, headers=None):
    return lambda n, d: (status, headers or {}, b"down") if n < times else (200, {}, b"ok")


def test_a_delivery_arrives_signed_with_the_endpoints_secret(world):
    with Receiver() as receiver:
        endpoint = world.endpoint(receiver.url)
        receiver.secrets = [endpoint.secret]
        world.events(1)
        assert world.send_due() == 2
        got = receiver.deliveries()
        assert [d.verified for d in got] == [True, True]
        assert [d.event["type"] for d in got] == ["purchase_order.created", "purchase_order.submitted"]
        assert all(d.headers["content-type"] == "application/json" for d in got)


def test_a_failing_delivery_is_retried_at_the_scheduled_times_with_the_same_webhook_id(world):
    with Receiver(reply=failing(10)) as receiver:
        endpoint = world.endpoint(receiver.url, types=("purchase_order.created",))
        world.events(1)
        assert world.send_due() == 1
        world.at(4.9)
        assert world.send_due() == 0  # not before 5 s
        world.at(0.1)
        assert world.send_due() == 1
        world.at(299)
        assert world.send_due() == 0
        world.at(1)
        assert world.send_due() == 1
        world.at(1800)
        assert world.send_due() == 1  # the schedule's fourth and last attempt
        world.at(36000)
        assert world.send_due() == 0
        ids = {d.webhook_id for d in receiver.deliveries()}
        assert len(receiver.deliveries()) == 4 and len(ids) == 1
        [row] = world.deliveries(endpoint.id)
        assert row["state"] == FAILED and row["webhook_id"] in ids


def test_every_attempt_is_recorded_with_status_latency_error_and_the_start_of_the_answer(world):
    long_answer = b"x" * 5000
    with Receiver(reply=lambda n, d: (503, {}, long_answer) if n == 0 else (200, {}, b"thanks")) as receiver:
        endpoint = world.endpoint(receiver.url, types=("purchase_order.created",))
        world.events(1)
        world.send_due()
        world.at(5)
        world.send_due()
        [row] = world.deliveries(endpoint.id)
        attempts = world.services.webhooks.deliveries.attempts(row["webhook_id"])
        assert [(a["number"], a["status"]) for a in attempts] == [(1, 503), (2, 200)]
        assert attempts[0]["response"] == "x" * 1024 and attempts[0]["error"] == "answered 503"
        assert attempts[1]["response"] == "thanks" and attempts[1]["error"] is None
        assert all(a["latency_ms"] >= 0 for a in attempts)
        assert row["state"] == DELIVERED


def test_retry_after_of_a_429_is_honoured(world):
    with Receiver(reply=failing(1, 429, {"Retry-After": "120"})) as receiver:
        world.endpoint(receiver.url, types=("purchase_order.created",))
        world.events(1)
        world.send_due()
        world.at(119)
        assert world.send_due() == 0
        world.at(1)
        assert world.send_due() == 1
        assert len(receiver.deliveries()) == 2


def test_an_endpoint_recovers_after_answering_500_for_a_while_and_gets_everything_in_order(world):
    with Receiver(reply=failing(2)) as receiver:
        endpoint = world.endpoint(receiver.url)
        world.events(2)
        world.send_due()
        world.at(5)
        world.send_due()
        world.at(300)
        world.send_due()
        world.send_due()
        assert all(r["state"] == DELIVERED for r in world.deliveries(endpoint.id))
        assert len({d.webhook_id for d in receiver.deliveries()}) == 4
        for po in {d.event["po_id"] for d in receiver.deliveries()}:  # each PO's events in order
            positions = [d.event["position"] for d in receiver.deliveries() if d.event["po_id"] == po]
            assert positions == sorted(positions)
        assert world.services.webhooks.endpoints.by_id(endpoint.id).failing_since is None


def test_a_later_event_of_a_po_waits_while_an_earlier_one_is_retried(world):
    with Receiver(reply=failing(1)) as receiver:
        world.endpoint(receiver.url)
        world.events(1)
        world.send_due()
        assert [d.event["type"] for d in receiver.deliveries()] == ["purchase_order.created"]
        world.at(5)
        world.send_due()
        assert [d.event["type"] for d in receiver.deliveries()] == [
            "purchase_order.created", "purchase_order.created", "purchase_order.submitted"]


def test_a_delivery_behind_one_waiting_for_its_retry_shows_that_retrys_time_as_its_next_attempt(world):
    with Receiver(reply=failing(1)) as receiver:
        endpoint = world.endpoint(receiver.url)
        world.events(1)
        world.send_due()
        created, submitted = world.deliveries(endpoint.id)
        assert created["state"] == submitted["state"] == PENDING
        assert submitted["next_attempt_at"] == created["next_attempt_at"] > created["created_at"]


def test_410_gone_disables_the_endpoint_and_its_deliveries_wait_for_it(world):
    with Receiver(reply=lambda n, d: (410, {}, b"gone") if n == 0 else (200, {}, b"ok")) as receiver:
        endpoint = world.endpoint(receiver.url)
        world.events(1)
        world.send_due()
        disabled = world.services.webhooks.endpoints.by_id(endpoint.id)
        assert not disabled.enabled and "410" in disabled.disabled_reason
        world.at(3600)
        assert world.send_due() == 0
        world.services.webhooks.endpoints.update(ORG, endpoint.id, {"enabled": True})
        world.send_due()
        assert [d.event["type"] for d in receiver.deliveries()] == [
            "purchase_order.created", "purchase_order.created", "purchase_order.submitted"]


def test_an_endpoint_failing_everything_for_3_days_is_disabled_with_the_reason(pg_database_url):
    world = World(pg_database_url, disable_after=3 * 86400.0)
    try:
        with Receiver(reply=lambda n, d: (500, {}, b"down")) as receiver:
            endpoint = world.endpoint(receiver.url)
            for _ in range(3):  # a new event every day for 3 days, each failing
                world.events(1)
                world.send_due()
                assert world.services.webhooks.endpoints.by_id(endpoint.id).enabled
                world.at(86400)
            world.events(1)
            world.send_due()
            disabled = world.services.webhooks.endpoints.by_id(endpoint.id)
            assert not disabled.enabled and disabled.disabled_reason.startswith("every delivery failed since")
    finally:
        world.close()


def verified_by(secret: str, delivery) -> bool:
    """Whether a receiver knowing only `secret` accepts `delivery`."""
    try:
        Webhook(secret).verify(delivery.body, delivery.headers)
    except WebhookVerificationError:
        return False
    return True


def test_after_a_rotation_receivers_knowing_either_secret_verify_for_24_hours_then_only_the_new(world):
    with Receiver() as receiver:
        endpoints = world.services.webhooks.endpoints
        endpoint = world.endpoint(receiver.url, types=("purchase_order.created",))
        old = endpoint.secret
        new = endpoints.rotate(ORG, endpoint.id).secret
        world.events(1)
        world.send_due()
        [during] = receiver.deliveries()
        assert verified_by(old, during) and verified_by(new, during)
        world.at(24 * 3600 + 1)
        world.events(1)
        world.send_due()
        after = receiver.deliveries()[1]
        assert verified_by(new, after) and not verified_by(old, after)


def test_a_host_re_pointed_to_loopback_after_its_check_is_refused_at_delivery(world):
    with Receiver() as receiver:
        endpoint = world.endpoint(f"https://rebinding.example:{receiver.port}/hooks")
        world.sender.resolver = lambda host, port: ["127.0.0.1"]  # the name now resolves to loopback
        world.events(1)
        world.send_due()
        assert receiver.deliveries() == []
        row = world.deliveries(endpoint.id)[0]
        assert row["state"] == PENDING and "loopback" in row["last_error"]


def test_a_redirect_to_loopback_is_not_followed(world):
    with Receiver() as target:
        redirect = {"Location": target.url}
        with Receiver(reply=lambda n, d: (307, redirect, b"")) as redirector:
            endpoint = world.endpoint(redirector.url, types=("purchase_order.created",))
            world.events(1)
            world.send_due()
            assert len(redirector.deliveries()) == 1 and target.deliveries() == []
            [row] = world.deliveries(endpoint.id)
            assert row["state"] == FAILED and row["last_status"] == 307


def test_on_the_embedded_sqlite_database_deliveries_are_sent_and_retried_alike(tmp_path):
    world = World(settings=sqlite_settings(tmp_path))
    try:
        with Receiver(reply=failing(1)) as receiver:
            endpoint = world.endpoint(receiver.url)
            receiver.secrets = [endpoint.secret]
            world.events(1)
            assert world.send_due() == 1  # the created event fails; the submitted one waits behind it
            world.at(5)
            assert world.send_due() == 2
            assert [d.event["type"] for d in receiver.deliveries()] == [
                "purchase_order.created", "purchase_order.created", "purchase_order.submitted"]
            assert all(d.verified for d in receiver.deliveries())
            assert {r["state"] for r in world.deliveries(endpoint.id)} == {DELIVERED}
    finally:
        world.close()


@pytest.fixture
def tls_receiver(tmp_path):
    """A receiver serving HTTPS as receiver.test, with the CA that signed its certificate."""
    ca, certificate, key = make_certificates(tmp_path, "receiver.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate, key)
    with Receiver(tls=context, host="receiver.test") as receiver:
        yield receiver, ca


def test_https_deliveries_go_to_the_checked_address_and_verify_the_certificate_for_the_name(
        pg_database_url, tls_receiver, monkeypatch):
    receiver, ca = tls_receiver
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))  # the CA the endpoint's operator uses
    world = World(pg_database_url, allow_hosts=("receiver.test",))
    try:
        world.sender.resolver = lambda host, port: ["127.0.0.1"] if host == "receiver.test" else []
        endpoint = world.endpoint(receiver.url, types=("purchase_order.created",))
        receiver.secrets = [endpoint.secret]
        world.events(1)
        world.send_due()
        [delivery] = receiver.deliveries()
        assert delivery.verified and delivery.headers["host"] == f"receiver.test:{receiver.port}"
    finally:
        world.close()


def test_an_https_endpoint_whose_certificate_is_not_trusted_gets_nothing(pg_database_url, tls_receiver):
    receiver, _ = tls_receiver
    world = World(pg_database_url, allow_hosts=("receiver.test",))
    try:
        world.sender.resolver = lambda host, port: ["127.0.0.1"]
        endpoint = world.endpoint(receiver.url, types=("purchase_order.created",))
        world.events(1)
        world.send_due()
        assert receiver.deliveries() == []
        [row] = world.deliveries(endpoint.id)
        assert row["state"] == PENDING and "CERTIFICATE_VERIFY_FAILED" in row["last_error"]
    finally:
        world.close()


def attempts_counted(outcome: str) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("procura_webhook_attempts_total", {"outcome": outcome}) or 0.0


def test_attempts_are_counted_by_outcome_for_the_workers_metrics(world):
    before = {o: attempts_counted(o) for o in ("retried", "delivered")}
    with Receiver(reply=failing(1)) as receiver:
        world.endpoint(receiver.url, types=("purchase_order.created",))
        world.events(1)
        world.send_due()
        world.at(5)
        world.send_due()
    assert {o: attempts_counted(o) - before[o] for o in before} == {"retried": 1, "delivered": 1}


def test_a_purge_deletes_settled_deliveries_and_their_attempts_but_keeps_pending_ones(world):
    with Receiver(reply=lambda n, d: (200, {}, b"ok") if d.event["type"] == "purchase_order.created"
                  else (500, {}, b"down")) as receiver:
        endpoint = world.endpoint(receiver.url)
        world.events(2)
        world.send_due()
        store = world.services.read_store
        assert tools.purge(store, world.now - timedelta(days=1)) == 0  # nothing that old
        assert tools.purge(store, world.now + timedelta(seconds=1)) == 2  # the two created, delivered
        assert [r["type"] for r in world.deliveries(endpoint.id)] == ["purchase_order.submitted"] * 2
        left = store.query("SELECT COUNT(*) AS n FROM procura_webhook_attempts")[0]["n"]
        assert left == 2  # the pending deliveries' failed attempts


def test_on_postgresql_idle_senders_are_woken_when_deliveries_are_queued_not_at_their_next_poll(world):
    hooks = world.services.webhooks
    sender = WebhookSender(hooks.deliveries, hooks.endpoints, world.tuning, clock=lambda: world.now, idle_wait=600)
    wakeups = world.services.notifications(DELIVERIES_CHANNEL, who="webhook sender")
    with Receiver() as receiver:
        world.endpoint(receiver.url)
        sender.start(wakeups)
        try:
            wait_until(wakeups.listening.is_set, 10, what="the sender listening")
            world.events(1)
            wait_until(lambda: len(receiver.deliveries()) == 2, 30, what="both events delivered, long before a poll")
        finally:
            sender.stop()


def test_two_senders_racing_over_many_deliveries_send_each_exactly_once(world):
    hooks = world.services.webhooks
    tuning = replace(world.tuning, threads=8, per_endpoint=8)
    senders = [WebhookSender(hooks.deliveries, hooks.endpoints, tuning, clock=lambda: world.now) for _ in range(2)]
    with Receiver() as first, Receiver() as second:
        endpoints = [world.endpoint(first.url), world.endpoint(second.url)]
        world.events(100)  # 200 public events: 400 deliveries
        for sender in senders:
            sender.start()
        try:
            wait_until(lambda: len(first.deliveries()) + len(second.deliveries()) >= 400, 120,
                       what="every delivery sent")
        finally:
            for sender in senders:
                sender.stop()
    sent = [d.webhook_id for d in first.deliveries() + second.deliveries()]
    assert len(sent) == len(set(sent)) == 400
    rows = [r for e in endpoints for r in world.deliveries(e.id)]
    assert {(r["state"], r["attempts"]) for r in rows} == {(DELIVERED, 1)}
