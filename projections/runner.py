"""Running event processors: catch up in batches, then follow the store.

A processor (a read model, or the placement process) sees the event store's
notifications in order. Each batch is applied in ONE transaction that first
advances the processor's tracking row and then writes its effects, so a crash
anywhere leaves either the whole batch applied or none of it, and two workers
racing on one batch apply it once (the loser gets TrackingConflict, rolls
back, and re-reads).
"""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from eventsourcing.persistence import Notification, PersistenceError

from projections.logcontext import log_fields
from projections.store import Cursor, ReadStore, TrackingConflict
from projections.wakeups import Notifications, backoff

log = logging.getLogger("procura.projections")

DEFAULT_BATCH = 500


class Positioned(NamedTuple):
    """A domain event with its global position in the store (a tuple: a
    rebuild makes one per event, and tuples are the cheapest to make)."""

    event: Any
    position: int


class Processor(ABC):
    """Something that follows the event store with exactly-once tracking."""

    #: The tracking row's name; stable across releases.
    name: str = ""

    def create_tables(self, cur: Cursor) -> None:  # noqa: B027 - optional hook
        """Create the processor's own tables (idempotent)."""

    @abstractmethod
    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        """Apply `batch` inside the caller's transaction. Events the processor
        does not care about must simply be skipped (their position still counts)."""

    def clear(self, cur: Cursor) -> None:  # noqa: B027 - optional hook
        """Delete everything the processor wrote (for a rebuild)."""

    def wants(self, topic: str) -> bool:
        """Whether events of `topic` reach `apply`. The others are skipped
        without being decoded (decoding is most of a rebuild's cost); their
        positions still count, so the processor's lag still reaches zero."""
        return True


def decoded(app: Any, processor: Processor, notifications: Sequence[Notification]) -> list[Positioned]:
    """The notifications `processor` wants, as domain events with positions."""
    return [Positioned(app.mapper.to_domain_event(n), n.id) for n in notifications if processor.wants(n.topic)]


class Follower:
    """Feeds one processor from the application's notification log."""

    def __init__(self, app: Any, store: ReadStore, processor: Processor, batch_size: int = DEFAULT_BATCH,
                 *, stop: int | None = None):
        """`stop`, when given, is the last position to apply (verify builds a
        scratch copy up to exactly the live model's position)."""
        self.app = app
        self.store = store
        self.processor = processor
        self.batch_size = batch_size
        self.stop = stop
        #: The positions of the batch last read (for log lines about it).
        self.batch: dict[str, int] = {}

    def _read(self, after: int) -> list[Notification]:
        return list(self.app.recorder.select_after(after, self.batch_size, self.stop))

    def step(self) -> int:
        """Apply the next batch, if any; returns how many events it covered."""
        position = self.store.position(self.processor.name)
        notifications = self._read(position)
        if not notifications:
            return 0
        # Log lines about this batch say which events it covers.
        self.batch = {"after_position": position, "to_position": notifications[-1].id}
        with log_fields(**self.batch):
            batch = decoded(self.app, self.processor, notifications)
            try:
                with self.store.transaction() as cur:
                    self.store.advance(cur, self.processor.name, position, notifications[-1].id)
                    self.processor.apply(cur, batch)
            except TrackingConflict:
                log.info("%s: another worker applied the batch after %s", self.processor.name, position)
        return len(notifications)

    def catch_up(self, on_batch: Callable[[int], None] | None = None) -> int:
        """Apply batches until the processor has seen the store's head."""
        total = 0
        while count := self.step():
            total += count
            if on_batch:
                on_batch(count)
        return total


class Supervisor:
    """Runs followers in background threads until stopped: one thread per
    follower, so a read model that is slow, or failing on a poison event,
    never holds the others back.

    Each follower reads the next batch as soon as it has applied one; once
    caught up it waits `idle_wait` seconds, or less when `notifications`
    wakes it because events were saved. Errors (a lost connection, a
    restarted database) are logged and retried after a pause; progress
    resumes from the tracking rows, so nothing is skipped or applied twice.
    """

    def __init__(self, followers: Sequence[Follower], *, idle_wait: float = 0.2, error_wait: float = 1.0,
                 notifications: Notifications | None = None):
        self.followers = list(followers)
        self.idle_wait = idle_wait
        self.error_wait = error_wait
        self.notifications = notifications
        self._stop = threading.Event()
        self._wakes: list[threading.Event] = []
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Follow until stopped. Polling alone keeps every read model moving
        (LISTEN/NOTIFY only shortens the wait, and its lost connection would
        go unnoticed): every pass re-reads the tracking rows through the
        pool, so a restarted database is simply polled again."""
        if self.notifications is not None:
            self.notifications.start()
        threads = [threading.Thread(target=self._follow, args=(f, self._wake_for()), daemon=True,
                                    name=f"procura-projection-{f.processor.name}") for f in self.followers]
        for thread in threads:
            thread.start()
        try:
            self._stop.wait()
        finally:
            self._halt()
            for thread in threads:
                thread.join(10.0)
            if self.notifications is not None:
                self.notifications.stop()

    def _wake_for(self) -> threading.Event:
        wake = self.notifications.subscribe() if self.notifications is not None else threading.Event()
        self._wakes.append(wake)
        return wake

    def _follow(self, follower: Follower, wake: threading.Event) -> None:
        failures = 0
        name = follower.processor.name
        while not self._stop.is_set():
            wake.clear()  # before reading: a notification from now on ends the next wait at once
            follower.batch = {}
            try:
                with log_fields(projection=name):
                    busy = follower.step()
            except (PersistenceError, OSError) as error:
                failures += 1
                log.warning("projection worker: %s; retrying in %ss", error, self._backoff(failures),
                            extra={"fields": {"projection": name, **follower.batch}})
                self._stop.wait(self._backoff(failures))
                continue
            except Exception:
                # A bug or a poison event: keep the thread alive and retry
                # (from the same tracking row) rather than stop the read model.
                failures += 1
                log.exception("projection worker failed; retrying in %ss", self._backoff(failures),
                              extra={"fields": {"projection": name, **follower.batch}})
                self._stop.wait(self._backoff(failures))
                continue
            failures = 0
            if not busy:
                wake.wait(self.idle_wait)

    def _backoff(self, failures: int) -> float:
        return backoff(self.error_wait, failures)

    def _halt(self) -> None:
        self._stop.set()
        for wake in self._wakes:
            wake.set()

    def start(self) -> Supervisor:
        self._thread = threading.Thread(target=self.run, name="procura-projections", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._halt()
        if self._thread is not None:
            self._thread.join(timeout)


def wait_for(store: ReadStore, names: Sequence[str], position: int, timeout: float) -> bool:
    """True once every named projection has reached `position` (polls)."""
    deadline = time.monotonic() + timeout
    while True:
        positions = store.positions()
        if all(int(positions.get(n, {}).get("position", 0)) >= position for n in names):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
