"""Threads that poll for work, as the placement executor and the webhook
sender do: each calls `work()` until stopped, at once again after it did
something, after `idle_wait` when there was nothing (or sooner: `set()`
wakes every idle thread, e.g. on a database notification), and a second
after an error. A database or network error is logged as a warning; anything else
(a bug) with its traceback, and the thread goes on, so a pool of them never
shrinks unseen."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from eventsourcing.persistence import PersistenceError

log = logging.getLogger("procura.polling")

#: Seconds a thread waits after an error before it polls again.
ERROR_WAIT = 1.0


class Pollers:
    def __init__(self, name: str, count: int, work: Callable[[], bool], idle_wait: float):
        """`count` threads named `name-N` calling `work` (True: it did something)."""
        self.name = name
        self.count = count
        self.work = work
        self.idle_wait = idle_wait
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._woken = threading.Condition()
        self._wakes = 0

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
        with self._woken:
            self._wakes += 1
            self._woken.notify_all()

    def _idle(self, seen: int) -> None:
        with self._woken:
            self._woken.wait_for(lambda: self._wakes != seen, self.idle_wait)

    def _run(self) -> None:
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
            if not busy:
                self._idle(seen)
