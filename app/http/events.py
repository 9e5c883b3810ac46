"""The event feed (docs/integrators/api.md section 10): `GET /events`, an org's public
events in position order, read from the public-events read model
(projections/public_events.py), with an opaque cursor and long polling.

A long poll waits on one LISTEN connection per server process, shared by
every waiting request (`FeedWakeups`): the worker NOTIFYs when it commits new
public events, and each waiting request reads again. Without LISTEN (SQLite,
a transaction pooler) or while it is down, waiting requests poll every
POLL_SECONDS. The feed reads the primary, where a wake-up's event already is.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app

from aggregates.policy import Principal
from app.http import cursors
from app.http.access import bearer_required, caller
from app.http.event_schemas import EventPageOut
from app.http.fair_share import callers_share
from app.http.openapi import AUTHENTICATED, documented
from app.http.problems import Problem
from app.http.read_schemas import FEED_CURSOR_INVALID, EventFeedQuery
from app.http.render import JSON
from app.http.requests import query_args
from app.polling import Wakes
from app.service.errors import lost_connection_as_unavailable
from projections import public_events
from projections.store import Cursor

bp = Blueprint("events", __name__)

FEED_READERS = frozenset({"admin", "auditor", "integration"})
#: No answer is larger: a page stops before the event that would pass it.
MAX_ANSWER_BYTES = 1024 * 1024
#: How often a long poll reads again without a notification (SQLite, a
#: transaction pooler, a lost LISTEN connection); with one, a safety net.
POLL_SECONDS, LISTENING_POLL_SECONDS = 0.2, 2.0
_CURSOR_SCOPE = "events"


class FeedWakeups:
    """Counts the feed's notifications for every waiting request of this
    process, from one LISTEN connection opened at the first long poll (not
    before: a server process that forks its workers must not carry it over)."""

    def __init__(self, start: Callable[[FeedWakeups], Any] | None):
        """`start(self)` begins listening and returns what `listening()` asks
        (None: no LISTEN here, poll only)."""
        self._start = start
        self._listener: Any = None
        self._started = False
        self._lock = threading.Lock()
        self._wakes = Wakes()

    def set(self) -> None:
        """A notification: wake every waiting request."""
        self._wakes.set()

    def generation(self) -> int:
        """The count of notifications so far (read it before reading the feed)."""
        with self._lock:
            if not self._started and self._start is not None:
                self._listener = self._start(self)
            self._started = True
        return self._wakes.count()

    def listening(self) -> bool:
        return self._listener is not None and self._listener.listening.is_set()

    def wait(self, seen: int, timeout: float) -> None:
        """Return after a notification later than `seen`, or after `timeout`."""
        self._wakes.wait(seen, timeout)

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()


def feed_wakeups(services: Any) -> FeedWakeups:
    """The process's FeedWakeups, listening where the database allows it."""
    listener = services.notifications(public_events.FEED_CHANNEL, who="event feed")
    if listener is None:
        return FeedWakeups(None)

    def start(wakeups: FeedWakeups):
        listener.add(wakeups)
        return listener.start()

    return FeedWakeups(start)


# --- cursors -------------------------------------------------------------------


def encode_cursor(position: int) -> str:
    return cursors.pack({"k": position, "f": _CURSOR_SCOPE})


def decode_cursor(text: str | None) -> int:
    """The position a cursor continues after (0: the beginning); 422 on /after
    when it is not one the feed gave."""
    if text is None:
        return 0
    data = cursors.unpack(text) or {}
    position = data.get("k")
    if not (type(position) is int and 0 <= position < 2**63 and data.get("f") == _CURSOR_SCOPE):
        raise cursors.refused("/after", FEED_CURSOR_INVALID)
    return position


# --- reading -------------------------------------------------------------------


def _services():
    return current_app.extensions["procura"]


def _read(who: Principal, after: int, args: dict[str, Any]) -> tuple[list[str], int, int]:
    """The documents of one page (at most MAX_ANSWER_BYTES together), the
    position to continue after, and the read model's position."""
    types = tuple(dict.fromkeys(args.get("type", ())))
    po = str(args["po_id"]) if args.get("po_id") else None
    sql, params = public_events.page_statement(who.org, after, args["limit"], types, po)
    store = _services().read_store
    with lost_connection_as_unavailable("database"), store.snapshot() as cur:
        rows = cur.execute(sql, params).fetchall()
        model = _model_position(cur)
    documents, size, last = [], 0, after
    for row in rows[:args["limit"]]:
        length = len(row["document"].encode()) + 1
        if size + length > MAX_ANSWER_BYTES - 1024 and documents:
            return documents, last, model  # the rest on the next page
        documents.append(row["document"])
        size += length
        last = int(row["position"])
    if len(rows) > args["limit"]:
        return documents, last, model
    # The whole selection up to the model's position was read: continue from there.
    return documents, max(last, model), model


def _model_position(cur: Cursor) -> int:
    row = cur.execute("SELECT position FROM procura_tracking WHERE name = %(name)s",
                      {"name": public_events.PublicEvents.name}).fetchone()
    return int(row["position"]) if row else 0


def _long_poll(who: Principal, after: int, args: dict[str, Any]) -> tuple[list[str], int, int]:
    """Read until a page has events or `wait` seconds have passed; the
    waiting holds one of the caller's expensive-read places (fair share)."""
    wakeups: FeedWakeups = current_app.extensions["procura.feed_wakeups"]
    seen = wakeups.generation()
    found = _read(who, after, args)
    if found[0] or not args["wait"]:
        return found
    deadline = time.monotonic() + args["wait"]
    with callers_share():
        while not found[0] and (left := deadline - time.monotonic()) > 0:
            wakeups.wait(seen, min(left, LISTENING_POLL_SECONDS if wakeups.listening() else POLL_SECONDS))
            seen = wakeups.generation()
            found = _read(who, after, args)
    return found


@bp.get("/events")
@bearer_required
@documented(summary="Your org's public events in order, with a cursor and long polling", tag="events",
            query=EventFeedQuery, response=EventPageOut,
            problems=(*AUTHENTICATED, "validation-error", "forbidden", "too-many-concurrent"),
            response_headers=("Projection-Position",))
def event_feed() -> Response:
    """For admins, auditors and integrations (docs/integrators/events.md has every type)."""
    args, who = query_args(EventFeedQuery()), caller()
    if not who.roles & FEED_READERS:
        raise Problem("forbidden", "The event feed is for admins, auditors and integrations.",
                      {"required": sorted(FEED_READERS)})
    after = decode_cursor(args.get("after"))
    documents, continue_after, model = _long_poll(who, after, args)
    body = ('{"items":[' + ",".join(documents) + '],"next_cursor":' + json.dumps(encode_cursor(continue_after))
            + "}")
    return Response(body, mimetype=JSON, headers={"Projection-Position": str(model)})
