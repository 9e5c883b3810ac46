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
