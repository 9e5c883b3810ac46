"""Each caller's share of a server process's request slots.

Some reads hold a slot for long: timelines, histories and reports read a
lot, and a read with `min_position` (a trace's among them) may wait 2 s for
a read model. A caller (`org/sub` of the verified token, as for rate
limits) may run at most `PROCURA_EXPENSIVE_READS_PER_CALLER` of them at once
in one process; one more is answered at once with 429 `too-many-concurrent`
and `Retry-After`, so one token cannot take every slot (PROCURA_MAX_IN_FLIGHT)
from the other organisations. The count is per process, in memory: it needs
no store, and a slot is a process's own.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app, g

from app.http.problems import Problem
from app.telemetry.metrics import made_once

#: Seconds a refused caller is told to wait: expensive reads take about that long.
RETRY_AFTER_SECONDS = 1


class ExpensiveReads:
    """How many expensive reads each caller is running in this process."""

    def __init__(self, per_caller: int):
        self.per_caller = per_caller
        self._running: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def running(self, caller: str) -> Iterator[None]:
        """Count one expensive read of `caller` while the block runs; raises
        Problem('too-many-concurrent') when the caller already runs its share."""
        with self._lock:
            running = self._running.get(caller, 0)
            if running >= self.per_caller:
                _refused_counter().inc()
                raise Problem("too-many-concurrent",
                              f"You already run {running} expensive reads at once on this server process, "
                              f"the most one caller may. Retry after {RETRY_AFTER_SECONDS} s, once one has "
                              f"answered.", {"limit": self.per_caller},
                              headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            self._running[caller] = running + 1
        try:
            yield
        finally:
            with self._lock:
                left = self._running.pop(caller) - 1
                if left:
                    self._running[caller] = left


@contextmanager
def callers_share() -> Iterator[None]:
    """Hold one of the caller's expensive-read places for the block (once
    per request: a report that also waits for `min_position` counts once)."""
    if g.get("holds_expensive_read"):
        yield
        return
    principal = g.principal
    reads: ExpensiveReads = current_app.extensions["procura.expensive_reads"]
    with reads.running(principal.caller):
        g.holds_expensive_read = True
        try:
            yield
        finally:
            g.holds_expensive_read = False


def expensive_read(view: Callable) -> Callable:
    """A view that holds one of the caller's expensive-read places while it runs."""

    @functools.wraps(view)
    def limited(*args, **kwargs):
        with callers_share():
            return view(*args, **kwargs)

    return limited


@made_once
def _refused_counter():
    from prometheus_client import Counter

    return Counter("procura_expensive_reads_refused_total",
                   "Expensive reads refused 429 too-many-concurrent: their caller already ran its share")
