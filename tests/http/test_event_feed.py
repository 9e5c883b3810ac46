"""The event feed (docs/integrators/api.md section 10, docs/integrators/events.md), through a real
`procura serve` on PostgreSQL with a `procura worker` keeping the public
events read model: an org's events in order in their public form, never
another org's; paging, filters, long polls woken by the worker's commit,
cursors across a restart, refusals with pointers, and the integration role."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from aggregates.public_events import PUBLIC_TYPES
from aggregates.transitions import CLIENT_COMMANDS
from app.bootstrap import build_services, create_app
from testkit.server import LiveClient, running_server, wait_until
from tests.conftest import SECRET, User, command_body, postgres_settings
from tests.projections.test_worker_processes import worker

pytestmark = pytest.mark.postgres

ENV = {"PROCURA_JWT_SECRET": SECRET, "PROCURA_EXPENSIVE_READS_PER_CALLER": "1"}


@pytest.fixture(scope="module")
def live(module_pg_database_url):
    with running_server({**ENV, "DATABASE_URL": module_pg_database_url}, workers=1, threads=8) as base, \
            worker(module_pg_database_url):
        yield base


class Org:
    """A fresh org with a requester, an approver and an admin."""

    def __init__(self, base: str, name: str | None = None):
        client = LiveClient(base)
        self.name = name or f"org-{uuid.uuid4().hex[:8]}"
        self.requester = User(client, "alice", ("requester",), self.name)
        self.approver = User(client, "bob", ("approver",), self.name, approval_limit="99999.00")
        self.admin = User(client, "root", ("admin",), self.name)

    def submitted_po(self) -> str:
        po_id = self.requester.create().get_json()["id"]
        assert self.requester.command(po_id, "submit", 1).status_code == 200
        return po_id

    def approved_po(self) -> str:
        po_id = self.submitted_po()
        assert self.approver.command(po_id, "approve", 2).status_code == 200
        return po_id


def feed(user: User, query: str = "") -> dict:
    response = user.get(f"/events?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def events_once_there(user: User, count: int, query: str = "") -> list[dict]:
    """The feed's first page, once the worker has projected `count` events into it."""
    return wait_until(lambda: (items := feed(user, query)["items"]) and len(items) >= count and items,
                      timeout=10, what=f"{count} events in the feed")


def every_event(user: User, query: str = "limit=500") -> list[dict]:
    """Every event the feed lists now, page after page."""
    seen, cursor = [], None
    while True:
        page = feed(user, query + (f"&after={cursor}" if cursor else ""))
        if not page["items"]:
            return seen
        seen += page["items"]
        cursor = page["next_cursor"]


def test_the_feed_lists_an_orgs_events_in_order_in_their_public_form_and_never_another_orgs(live):
    ours, theirs = Org(live), Org(live)
    po_id = ours.approved_po()
    other = theirs.submitted_po()

    items = events_once_there(ours.admin, 3)

    assert [(e["type"], e["po_id"], e["po_version"]) for e in items] == [
        ("purchase_order.created", po_id, 1), ("purchase_order.submitted", po_id, 2),
        ("purchase_order.approved", po_id, 3)]
    assert [e["position"] for e in items] == sorted({e["position"] for e in items})
    created = items[0]
    assert set(created) == {"id", "type", "occurred_at", "org", "po_id", "po_version", "position",
                            "correlation_id", "data"}
    assert created["org"] == ours.name and created["id"].startswith("evt_") and created["occurred_at"].endswith("Z")
    assert created["data"]["requester"] == "alice" and created["data"]["lines"][0]["unit_price"] == "1249.50"
    assert items[2]["data"] == {}
    theirs_seen = events_once_there(theirs.admin, 2)
    assert {e["po_id"] for e in theirs_seen} == {other}
    assert {e["org"] for e in theirs_seen} == {theirs.name}


def test_paging_with_the_cursor_yields_every_event_once_in_order(live):
    org = Org(live)
    pos = [org.submitted_po() for _ in range(3)]
    events_once_there(org.admin, 6)

    seen = every_event(org.admin, "limit=4")

    assert len(seen) == 6 and len({e["id"] for e in seen}) == 6
    assert [e["position"] for e in seen] == sorted(e["position"] for e in seen)
    assert {e["po_id"] for e in seen} == set(pos)


def test_no_page_is_larger_than_1_mib_and_the_cursor_continues_where_it_stopped(live):
    org = Org(live)
    lines = [{"sku": f"SKU-{n}", "description": "x" * 500, "quantity": 1, "unit_price": "1.00"} for n in range(100)]
    created = {org.requester.create(lines=lines).get_json()["id"] for _ in range(20)}  # ~60 KB each
    wait_until(lambda: {e["po_id"] for e in every_event(org.admin)} == created, timeout=10,
               what="all 20 creations projected")

    first = org.admin.get("/events?limit=500")
    rest = feed(org.admin, f"limit=500&after={first.get_json()['next_cursor']}")

    assert len(first.get_data()) <= 1024 * 1024
    assert 0 < len(first.get_json()["items"]) < 20
    assert {e["po_id"] for e in first.get_json()["items"] + rest["items"]} == created


def test_the_feed_filters_by_type_and_by_purchase_order(live):
    org = Org(live)
    first, second = org.approved_po(), org.submitted_po()
    events_once_there(org.admin, 5)

    approvals = feed(org.admin, "type=purchase_order.approved")["items"]
    creations_and_submissions = feed(org.admin, "type=purchase_order.created,purchase_order.submitted")["items"]
    of_second = feed(org.admin, f"po_id={second}")["items"]

    assert [(e["type"], e["po_id"]) for e in approvals] == [("purchase_order.approved", first)]
    assert sorted(e["type"] for e in creations_and_submissions) == [
        "purchase_order.created", "purchase_order.created", "purchase_order.submitted", "purchase_order.submitted"]
    assert [(e["type"], e["po_id"]) for e in of_second] == [
        ("purchase_order.created", second), ("purchase_order.submitted", second)]


def long_poll(user: User, query: str):
    """GET /events?`query`, again while a probe of `_holds_the_callers_share`
    happens to hold the caller's one place (its 429 is not the poll's answer)."""
    while (response := user.get(f"/events?{query}")).status_code == 429:
        pass
    return response


def _holds_the_callers_share(org: Org) -> bool:
    """True while the admin's long poll holds its only expensive-read place
    (PROCURA_EXPENSIVE_READS_PER_CALLER=1): another expensive read is 429."""
    return org.admin.get("/reports/spend").status_code == 429


def test_a_long_poll_answers_soon_after_the_commit_that_matches_it(live):
    org = Org(live)
    feed(org.admin, "wait=1")  # this server process is listening for the feed from now on
    cursor = feed(org.admin)["next_cursor"]
    answered: dict = {}

    def poll():
        response = long_poll(org.admin, f"after={cursor}&wait=20&type=purchase_order.created")
        answered.update(at=time.monotonic(), response=response)

    poller = threading.Thread(target=poll)
    poller.start()
    wait_until(lambda: _holds_the_callers_share(org), timeout=5, what="the long poll waiting")
    po_id = org.requester.create().get_json()["id"]
    created_at = time.monotonic()
    poller.join(25)

    latency = answered["at"] - created_at
    print(f"long poll answered {latency * 1000:.0f} ms after the create's answer")
    assert answered["response"].status_code == 200
    assert [e["po_id"] for e in answered["response"].get_json()["items"]] == [po_id]
    assert latency < 1.0


def test_a_long_poll_with_nothing_new_answers_an_empty_page_after_its_wait(live):
    org = Org(live)
    started = time.monotonic()
    page = feed(org.admin, "wait=1")
    assert page["items"] == [] and page["next_cursor"]
    assert 0.9 < time.monotonic() - started < 5


def test_a_long_poll_counts_against_the_callers_share_of_request_slots(live):
    org = Org(live)
    cursor = feed(org.admin)["next_cursor"]
    first = threading.Thread(target=lambda: long_poll(org.admin, f"after={cursor}&wait=3"))
    first.start()
    try:
        wait_until(lambda: _holds_the_callers_share(org), timeout=5, what="the first long poll waiting")
        second = org.admin.get(f"/events?after={cursor}&wait=3")
        assert second.status_code == 429
        assert second.get_json()["type"] == "/problems/too-many-concurrent"
    finally:
        first.join(10)


@pytest.mark.parametrize(("query", "pointer"), [
    ("after=eyJrIjoiYSJ9", "/after"),
    ("after=not-a-cursor", "/after"),
    ("type=purchase_order.teleported", "/type/0"),
    ("wait=31", "/wait"),
    ("wait=-1", "/wait"),
    ("limit=501", "/limit"),
    ("po_id=nope", "/po_id"),
])
def test_bad_feed_parameters_are_refused_422_with_a_pointer(live, query, pointer):
    response = Org(live).admin.get(f"/events?{query}")
    assert response.status_code == 422
    assert [e["pointer"] for e in response.get_json()["errors"]] == [pointer]


def test_the_integration_role_reads_the_feed_and_every_command_is_forbidden(live):
    org = Org(live)
    po_id = org.submitted_po()
    integration = User(LiveClient(live), "erp", ("integration",), org.name, department=None)
    events_once_there(org.admin, 2)

    assert [e["po_id"] for e in feed(integration)["items"]] == [po_id, po_id]
    assert integration.get(f"/purchase-orders/{po_id}").status_code == 200
    refused = {"create": integration.create().status_code}
    for command in CLIENT_COMMANDS:
        refused[command] = integration.command(po_id, command, 2, command_body(command)).status_code
    assert refused == dict.fromkeys(refused, 403)


def test_requesters_and_approvers_may_not_read_the_feed(live):
    org = Org(live)
    assert org.requester.get("/events").status_code == 403
    assert org.approver.get("/events").status_code == 403


def test_every_public_type_is_accepted_as_a_filter(live):
    assert feed(Org(live).admin, "type=" + ",".join(PUBLIC_TYPES))["items"] == []


def test_a_cursor_keeps_working_across_a_server_restart(module_pg_database_url):
    env = {**ENV, "DATABASE_URL": module_pg_database_url}
    org = Org("http://unused")
    with worker(module_pg_database_url):
        with running_server(env, workers=1, threads=2) as base:
            org = Org(base, org.name)
            before = org.submitted_po()
            events_once_there(org.admin, 2)
            cursor = feed(org.admin)["next_cursor"]
        with running_server(env, workers=1, threads=2) as base:
            org = Org(base, org.name)
            after = org.submitted_po()
            items = events_once_there(org.admin, 2, f"after={cursor}")
    assert [(e["po_id"], e["type"]) for e in items] == [
        (after, "purchase_order.created"), (after, "purchase_order.submitted")]
    assert before != after


def test_closing_an_apps_services_stops_its_feeds_listener(pg_database_url):
    services = build_services(postgres_settings(pg_database_url))
    wakeups = create_app(services=services).extensions["procura.feed_wakeups"]
    wakeups.generation()  # the first feed request starts listening
    wait_until(wakeups.listening, 10, interval=0.02, what="the feed to listen")
    services.close()
    assert not wakeups.listening()  # else its thread outlives the app and its database
