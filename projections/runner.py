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
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any, NamedTuple

import psycopg
from eventsourcing.persistence import Notification, PersistenceError

from app.telemetry.logcontext import log_fields
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
    #: Whether it applies its batches in a transaction shared with the other
    #: processors that do (one read and one commit for all; see Fanout). Only
    #: for processors that do nothing but quick SQL: a slow one would hold
    #: the others back, so the default is a follower of its own.
    shares_transaction: bool = False

    def create_tables(self, cur: Cursor) -> None:  # noqa: B027 - optional hook
        """Create the processor's own tables (idempotent)."""

    @abstractmethod
    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        """Apply `batch` inside the caller's transaction. Events the processor
        does not care about must simply be skipped (their position still counts)."""

    def reads_ahead(self) -> Sequence[tuple[str, str]]:
        """(table, column) pairs `apply` reads by the batch's aggregate ids,
        which a fan-out may read ahead for it (Cursor.read_ahead)."""
        return ()

    def publish(self, batch: Sequence[Positioned]) -> None:  # noqa: B027 - optional hook
        """Send `batch` out of the database, before the transaction that applies
        it and advances the tracking row opens (no transaction held open while
        a peer answers). A crash between the two sends the batch again, so the
        receiver must drop what it already has (by the events' ids)."""

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

    def _read(self, after: int) -> list[Notification]:
        return list(self.app.recorder.select_after(after, self.batch_size, self.stop))

    def step(self) -> int:
        """Apply the next batch, if any; returns how many events it covered."""
        position = self.store.position(self.processor.name)
        notifications = self._read(position)
        if not notifications:
            return 0
        # Log lines about this batch say which events it covers.
        with log_fields(after_position=position, to_position=notifications[-1].id):
            batch = decoded(self.app, self.processor, notifications)
            self.processor.publish(batch)
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


_INFRASTRUCTURE = (PersistenceError, OSError, psycopg.OperationalError, psycopg.InterfaceError,
                   sqlite3.OperationalError)
"""Errors that are the database's trouble, not one member's: the whole fan-out waits and retries."""


class MemberFailed(Exception):
    """One member of a fan-out failed on its batch (a bug, or a poison event)."""

    def __init__(self, follower: Follower):
        super().__init__(follower.processor.name)
        self.follower = follower


def _as_member(follower: Follower, step: Callable[..., None], *args: Any,
               passing: tuple[type[BaseException], ...] = _INFRASTRUCTURE) -> None:
    """Run one member's `step`: the errors in `passing` (the infrastructure's)
    stop the whole fan-out, any other is that member's own (MemberFailed)."""
    try:
        step(*args)
    except passing:
        raise
    except Exception as error:
        raise MemberFailed(follower) from error


#: What a pipelined step lets pass besides: an error of the database's
#: (psycopg's or the store's) may be another member's.
_PIPELINE_PASSING = (*_INFRASTRUCTURE, psycopg.Error, sqlite3.Error)


#: Opens a span named by its first argument for a batch whose events were
#: stored under the given trace contexts (W3C traceparents, first is parent).
BatchTracer = Callable[[str, Sequence[str]], AbstractContextManager]
_UNTRACED = nullcontext()


def _trace_context(event: Any) -> str | None:
    meta = getattr(event, "meta", None)
    return meta.get("traceparent") if isinstance(meta, dict) else None


class Fanout:
    """Followers fed together: one read of the store per batch, each event
    decoded once, and ONE transaction in which every member advances its own
    tracking row and applies its share. Exactly-once per member holds as for
    a lone follower: each advance is conditional and commits with its
    effects. A member that fails rests with backoff and the batch is applied
    again without it at once, so it neither blocks nor rolls back the
    others; it resumes later from its own position. A member whose effects
    leave the database (`Processor.publish`) sends its share before that
    transaction opens: at least once, the receiver dropping duplicates."""

    def __init__(self, followers: Sequence[Follower], *, error_wait: float = 1.0, clock=time.monotonic,
                 trace: BatchTracer | None = None):
        self.followers = list(followers)
        self.trace = trace
        self.app, self.store = self.followers[0].app, self.followers[0].store
        self.error_wait = error_wait
        self._clock = clock
        #: Resting members: name -> (when it may run again, consecutive failures).
        self._resting: dict[str, tuple[float, int]] = {}
        #: The positions of the batch last read (for log lines about it).
        self.batch: dict[str, int] = {}
        #: Members' positions as this fan-out last committed them (None: read them afresh).
        self._known: dict[str, int] | None = None

    @property
    def name(self) -> str:
        return ",".join(f.processor.name for f in self.followers)

    @property
    def batch_size(self) -> int:
        return max(f.batch_size for f in self.followers)

    def step(self) -> int:
        """Apply the next batch to every member not resting; how many events it covered."""
        self.batch = {}
        due = self._due()
        if not due:
            return 0
        positions = self._positions(due)
        start = min(positions.values())
        notifications = list(self.app.recorder.select_after(start, self.batch_size))
        if not notifications:
            self._known = None  # idle: read the tracking rows afresh next time (a rebuild may have moved them)
            return 0
        last = notifications[-1].id
        self.batch = {"after_position": start, "to_position": last}
        members = [f for f in due if positions[f.processor.name] < last]
        with log_fields(**self.batch):
            try:
                self._apply(members, positions, notifications)
            except MemberFailed as failed:
                self._known = None
                self._rest(failed.follower, failed.__cause__)
            except TrackingConflict as conflict:
                self._known = None
                log.info("%s: another worker applied the batch after %s", conflict, start)
            except BaseException:
                self._known = None
                raise
        return len(notifications)

    def _due(self) -> list[Follower]:
        now = self._clock()
        return [f for f in self.followers if self._resting.get(f.processor.name, (0.0, 0))[0] <= now]

    def _positions(self, followers: Sequence[Follower]) -> dict[str, int]:
        """Each member's tracking position: as this fan-out last committed it
        while it keeps applying batches (each advance checks it, so a stale
        one only costs a TrackingConflict and a re-read), else read afresh."""
        if self._known is None:
            rows = self.store.positions()  # every tracking row in one query
            self._known = {f.processor.name: int(rows.get(f.processor.name, {}).get("position", 0))
                           for f in self.followers}
        return {f.processor.name: self._known[f.processor.name] for f in followers}

    def _apply(self, members: Sequence[Follower], positions: dict[str, int],
               notifications: Sequence[Notification]) -> None:
        last = notifications[-1].id
        events = self._decoded(members, positions, notifications)
        shares = {f.processor.name: [p for topic, p in events
                                     if p.position > positions[f.processor.name] and f.processor.wants(topic)]
                  for f in members}
        expected = {f.processor.name: positions[f.processor.name] for f in members}
        with self._traced(events):
            for follower in members:
                _as_member(follower, follower.processor.publish, shares[follower.processor.name])
            if not self._applied_pipelined(members, expected, shares, last):
                with self.store.transaction() as cur:
                    self.store.advance_all(cur, expected, last)
                    for follower in members:
                        _as_member(follower, follower.processor.apply, cur, shares[follower.processor.name])
        for follower in members:
            self._resting.pop(follower.processor.name, None)
            if self._known is not None:
                self._known[follower.processor.name] = last

    def _applied_pipelined(self, members: Sequence[Follower], expected: dict[str, int],
                           shares: dict[str, list[Positioned]], last: int) -> bool:
        """Apply the batch in one pipelined transaction (a round trip per
        read, not per statement). A member's own Python error names it
        (MemberFailed); False when the database refused something, which in
        a pipeline may surface at a later member's statement than its
        cause: the caller then applies the batch again statement by
        statement, which names the member (or meets the outage again)."""
        try:
            with self.store.pipelined_transaction() as (cur, sync):
                advanced = self.store.advance_all_checked_later(cur, expected, last)
                cur.read_ahead([read for f in members for read in f.processor.reads_ahead()],
                               [str(p.event.originator_id) for share in shares.values() for p in share])
                for follower in members:
                    _as_member(follower, follower.processor.apply, cur, shares[follower.processor.name],
                               passing=_PIPELINE_PASSING)
                sync()
                advanced()
        except (TrackingConflict, MemberFailed):
            raise
        except Exception:  # whose it is shows in the careful pass
            return False
        return True

    def _traced(self, events: Sequence[tuple[str, Positioned]]) -> AbstractContextManager:
        """The batch's span when tracing is on: in the trace of its first
        traced event, linked to the others' (a batch serves many requests)."""
        if self.trace is None:
            return _UNTRACED
        contexts = list(dict.fromkeys(c for _, p in events if (c := _trace_context(p.event)) is not None))
        return self.trace("apply events", contexts) if contexts else _UNTRACED

    def _decoded(self, members: Sequence[Follower], positions: dict[str, int],
                 notifications: Sequence[Notification]) -> list[tuple[str, Positioned]]:
        """Each notification some member wants, decoded once, with its topic."""
        decode = self.app.mapper.to_domain_event
        return [(n.topic, Positioned(decode(n), n.id)) for n in notifications
                if any(n.id > positions[f.processor.name] and f.processor.wants(n.topic) for f in members)]

    def _rest(self, follower: Follower, error: BaseException | None) -> None:
        name = follower.processor.name
        failures = self._resting.get(name, (0.0, 0))[1] + 1
        pause = backoff(self.error_wait, failures)
        self._resting[name] = (self._clock() + pause, failures)
        # A bug or a poison event: the member retries from its own tracking row later.
        log.error("projection worker failed; retrying in %ss", pause,
                  exc_info=(type(error), error, error.__traceback__) if error else None,
                  extra={"fields": {"projection": name, **self.batch}})

    def next_retry_in(self) -> float | None:
        """Seconds until the next resting member may run (None: none rests)."""
        if not self._resting:
            return None
        return max(0.0, min(at for at, _ in self._resting.values()) - self._clock())


def fan_outs(followers: Sequence[Follower], error_wait: float, trace: BatchTracer | None = None) -> list[Fanout]:
    """The followers whose processors share a transaction in one fan-out,
    every other follower in a fan-out of its own (a processor that may be
    slow never holds the others back)."""
    shared = [f for f in followers if f.processor.shares_transaction]
    alone = [[f] for f in followers if not f.processor.shares_transaction]
    return [Fanout(group, error_wait=error_wait, trace=trace) for group in ([shared] if shared else []) + alone]


class Supervisor:
    """Runs the followers in background threads until stopped: one thread,
    one reader, per fan-out (`fan_outs`): the read models and the placement
    requests share one; a processor that does not share has its own.

    Each fan-out reads the next batch as soon as it has applied one; once
    caught up it waits `idle_wait` seconds, or less when `notifications`
    wakes it because events were saved. While events arrive one by one
    under load (a batch smaller than a full one), it first gathers for
    `gather_wait` seconds, so the cost per event falls as the load rises,
    while the first event after a quiet spell is applied at once. Errors
    (a lost connection, a restarted database) are logged and retried after
    a pause; progress resumes from the tracking rows, so nothing is skipped
    or applied twice.
    """

    def __init__(self, followers: Sequence[Follower], *, idle_wait: float = 0.2, error_wait: float = 1.0,
                 notifications: Notifications | None = None, gather_wait: float = 0.0,
                 trace: BatchTracer | None = None):
        self.followers = list(followers)
        self.idle_wait = idle_wait
        self.error_wait = error_wait
        self.gather_wait = gather_wait
        self.trace = trace
        self.notifications = notifications
        self._stop = threading.Event()
        self._wakes: list[threading.Event] = []
        self._thread: threading.Thread | None = None
        #: Each fan-out's last pass that did not fail (monotonic seconds), for `failing`.
        self._passed: dict[str, float] = {}
        self._threads: list[threading.Thread] = []

    def failing(self, within: float) -> list[str]:
        """The fan-outs that have not completed a pass for `within` seconds
        (the database is failing them, or their thread has died)."""
        now = time.monotonic()
        dead = {thread.name.removeprefix("procura-projection-") for thread in self._threads if not thread.is_alive()}
        return sorted(dead | {name for name, at in self._passed.items() if now - at > within})

    def run(self) -> None:
        """Follow until stopped. Polling alone keeps every read model moving
        (LISTEN/NOTIFY only shortens the wait, and its lost connection would
        go unnoticed): every pass re-reads the tracking rows through the
        pool, so a restarted database is simply polled again."""
        if self.notifications is not None:
            self.notifications.start()
        fanouts = fan_outs(self.followers, self.error_wait, self.trace)
        started = time.monotonic()
        self._passed = {fanout.name: started for fanout in fanouts}
        threads = self._threads = [threading.Thread(target=self._follow, args=(fanout, self._wake_for()),
                                                    daemon=True, name=f"procura-projection-{fanout.name}")
                                   for fanout in fanouts]
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

    def _follow(self, fanout: Fanout, wake: threading.Event) -> None:
        failures = 0
        while not self._stop.is_set():
            wake.clear()  # before reading: a notification from now on ends the next wait at once
            try:
                with log_fields(projection=fanout.name):
                    covered = fanout.step()
            except _INFRASTRUCTURE as error:
                failures += 1
                log.warning("projection worker: %s; retrying in %ss", error, self._backoff(failures),
                            extra={"fields": {"projection": fanout.name, **fanout.batch}})
                self._stop.wait(self._backoff(failures))
                continue
            failures = 0
            self._passed[fanout.name] = time.monotonic()
            if not covered:
                retry = fanout.next_retry_in()
                wake.wait(self.idle_wait if retry is None else min(self.idle_wait, retry))
            elif covered < fanout.batch_size and self.gather_wait:
                self._stop.wait(self.gather_wait)  # events arrive one by one: let a few more gather

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
