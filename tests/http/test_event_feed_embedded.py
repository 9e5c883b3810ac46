"""The event feed on SQLite, where there is no LISTEN: a long poll reads
again every 0.2 s and still answers with the event once it is projected."""

from __future__ import annotations

import threading
import time

from app.bootstrap import build_services, create_app
from app.http import events
from tests.conftest import User, sqlite_settings


def test_on_sqlite_a_long_poll_polls_and_answers_once_the_event_is_projected(tmp_path):
    services = build_services(sqlite_settings(tmp_path))
    app = create_app(services=services)
    requester, admin = User(app.test_client()), User(app.test_client(), "root", ("admin",))
    answered: dict = {}

    def poll():
        started = time.monotonic()
        answered["response"] = admin.get("/events?wait=10")
        answered["seconds"] = time.monotonic() - started

    poller = threading.Thread(target=poll)
    poller.start()
    po_id = requester.create().get_json()["id"]
    for follower in services.followers():
        follower.catch_up()
    poller.join(15)
    services.close()

    assert [e["po_id"] for e in answered["response"].get_json()["items"]] == [po_id]
    assert answered["seconds"] < 10 - events.POLL_SECONDS
    assert app.extensions["procura.feed_wakeups"].listening() is False


def test_a_rebuilt_feed_lists_the_same_events_with_the_same_ids(tmp_path):
    from projections.maintenance import rebuild
    from projections.public_events import PublicEvents

    services = build_services(sqlite_settings(tmp_path))
    app = create_app(services=services)
    requester, approver = User(app.test_client()), User(app.test_client(), "bob", ("approver",),
                                                         approval_limit="99999.00")
    admin = User(app.test_client(), "root", ("admin",))
    for _ in range(3):
        po_id = requester.create().get_json()["id"]
        requester.command(po_id, "submit", 1)
        approver.command(po_id, "approve", 2)
    for follower in services.followers():
        follower.catch_up()
    before = admin.get("/events").get_json()

    rebuild(services.event_store, services.read_store, PublicEvents(), batch_size=2)
    after = admin.get("/events").get_json()
    services.close()

    assert len(before["items"]) == 9
    assert after == before
