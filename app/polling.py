"""Threads that poll for work, as the placement executor and the webhook
sender do: each calls `work()` until stopped, at once again after it did
something, and a second after an error. Of the idle threads one at a time
polls, every `idle_wait`, and hands the polling to another idle thread
while it works; the others wait until `set()` (e.g. on a database
notification) wakes them all, as a thread that finds work after idling
does. So an idle pool costs one thread's polls, not one per thread, and a
thread held by slow work never leaves the pool unpolled. A database or
network error is logged as a warning; anything else (a bug) with its
traceback, and the thread goes on, so a pool of them never shrinks unseen."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from eventsourcing.persistence import PersistenceError

log = logging.getLogger("procura.polling")

#: Seconds a thread waits after an error before it polls again.
ERROR_WAIT = 1.0


class Wakes:
    """A count of `set()` calls that threads wait past: a `set()` between
    reading `count()` and waiting is not lost, as it is with a cleared Event."""

    def __init__(self):
        self._changed = threading.Condition()
        self._count = 0

    def set(self) -> None:
        with self._changed:
            self._count += 1
            self._changed.notify_all()

    def count(self) -> int:
        return self._count

    def wait(self, seen: int, timeout: float) -> None:
        """Return after a `set()` later than the count `seen`, or after `timeout`."""
        with self._changed:
            self._changed.wait_for(lambda: self._count != seen, timeout)


class Pollers:
    def __init__(self, name: str, count: int, work: Callable[[], bool], idle_wait: float):
        """`count` threads named `name-N` calling `work` (True: it did something)."""
        self.name = name
        self.count = count
        self.work = work
        self.idle_wait = idle_wait
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._changed = threading.Condition()
        self._wakes = 0  # set() calls so far
        self._polling = False  # whether an idle thread is polling

    def start(self) -> Pollers:
        for n in range(self.count):
            thread = threading.Thread(target=self._run, name=f"{self.name}-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop polling; each thread finishes the work in hand first (at most `timeout` each)."""
        self._stop.set()
        self.set()
        for thread in self._threads:
            thread.join(timeout)

    def set(self) -> None:
        """Wake every idle thread now (there may be work)."""
        with self._changed:
            self._wakes += 1
            self._changed.notify_all()

    def _run(self) -> None:
        polled = False  # whether this thread's last wait ended in its own poll
        while not self._stop.is_set():
            seen = self._wakes  # a wake while working is not lost: the wait below returns at once
            try:
                busy = self.work()
            except (PersistenceError, OSError) as error:
                log.warning("%s: %s; retrying in %gs", self.name, error, ERROR_WAIT)
                self._stop.wait(ERROR_WAIT)
                continue
            except Exception:  # a bug must not end the thread: the pool would shrink unseen
                log.exception("%s failed; retrying in %gs", self.name, ERROR_WAIT)
                self._stop.wait(ERROR_WAIT)
                continue
            if busy and polled:
                self.set()  # the poll found work: the other idle threads may find more
            polled = False if busy else self._rest(seen)

    def _rest(self, seen: int) -> bool:
        """Wait for a wake later than `seen`, polling every `idle_wait` when
        no other idle thread does; True when the wait ended in a poll."""
        with self._changed:
            self._changed.wait_for(lambda: self._wakes != seen or not self._polling)
            if self._wakes != seen:
                return False
            self._polling = True
            woken = self._changed.wait_for(lambda: self._wakes != seen, self.idle_wait)
            self._polling = False
            self._changed.notify()  # another idle thread polls while this one works
            return not woken
