"""Waking the projection followers when PostgreSQL announces new events.

Every save notifies the events table's channel (the library's NOTIFY, sent
in the saving transaction, so it is delivered at commit). One connection
per worker process LISTENs there and wakes every follower, which then reads
at once instead of at its next poll. Notifications only make the followers
prompt; they are never relied on: a follower still polls every idle wait,
so a notification lost with a dropped connection costs at most one poll
interval, and the listener reconnects with backoff meanwhile.

LISTEN needs a session of its own, which a transaction-pooling PgBouncer
does not give (docs/operators/connection-pooler.md): there the followers
only poll.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import psycopg
from psycopg import sql

log = logging.getLogger("procura.projections")


def backoff(base: float, failures: int) -> float:
    """Seconds to wait after `failures` consecutive failures: `base` doubled
    each time, at most 32x and at most 30 s."""
    return min(base * 2 ** min(failures - 1, 5), 30.0)


#: How often the listening thread checks whether it should stop.
STOP_CHECK_SECONDS = 0.5


class Notifications:
    """Sets every subscribed event whenever the channel is notified."""

    def __init__(self, connect: Callable[[], psycopg.Connection], channel: str, *, retry_wait: float = 1.0,
                 who: str = "projection worker"):
        """`connect` opens a new autocommit connection to the primary; `who`
        listens, as its log lines say."""
        self.connect = connect
        self.channel = channel
        self.who = who
        self.retry_wait = retry_wait
        #: Set while LISTENing (tests wait on it before saving).
        self.listening = threading.Event()
        self._subscribers: list[threading.Event] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def subscribe(self) -> threading.Event:
        """A new event set on every notification (the subscriber clears it)."""
        event = threading.Event()
        self._subscribers.append(event)
        return event

    def add(self, subscriber) -> None:
        """Call `subscriber.set()` on every notification (anything with `set`)."""
        self._subscribers.append(subscriber)

    def wake_all(self) -> None:
        for event in self._subscribers:
            event.set()

    def start(self) -> Notifications:
        self._thread = threading.Thread(target=self._run, name="procura-notifications", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                self._listen()
            except (psycopg.Error, OSError) as error:
                self.listening.clear()
                failures += 1
                pause = backoff(self.retry_wait, failures)
                log.warning("%s: not listening for new events (%s); polling only, "
                            "retrying in %ss", self.who, error, pause)
                self._stop.wait(pause)

    def _listen(self) -> None:
        with self.connect() as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self.channel)))
            self.listening.set()
            self.wake_all()  # events saved while nobody listened
            while not self._stop.is_set():
                for _ in conn.notifies(timeout=STOP_CHECK_SECONDS):
                    self.wake_all()
        self.listening.clear()
