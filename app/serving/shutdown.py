"""Stopping `procura serve` without losing a request (docs/operators/serving.md, "Stopping").

On SIGTERM or SIGINT, whether sent to the main process or to its whole
process group: /readyz answers 503 at once, everything else is served for
`drain_seconds` (the time a load balancer needs to notice), then the edge
stops accepting and lets the requests in flight finish (at most
`shutdown_timeout_seconds`), and only then are granian's workers stopped.
HAProxy and the workers run in sessions of their own, so a signal to the
group reaches this process alone. Before the server serves, a signal ends
the start-up at once, with exit code 0; so does a signal to a granian worker
still starting (forked with this process's handlers, before it sets its own).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lightly: `procura serve` installs stop_while_starting first thing
    from app.serving.edge import EdgeProxy

log = logging.getLogger("procura.serve")
SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _stop_starting(signum: int, _frame) -> None:
    log.info("stopping (%s) before serving", signal.Signals(signum).name)
    sys.exit(0)


def stop_while_starting() -> None:
    """Until `Drain.install`: a signal ends the start-up (schema, edge check) at once."""
    for number in SIGNALS:
        signal.signal(number, _stop_starting)


class Drain:
    """The shutdown of a server behind the edge; `then` stops granian."""

    def __init__(self, edge: EdgeProxy, drain_seconds: int, then: Callable[[], None]):
        self.edge = edge
        self.drain_seconds = drain_seconds
        self.then = then
        self._begun = threading.Event()
        self._never = threading.Event()  # waited on for the drain's length
        self._server = os.getpid()

    def install(self) -> None:
        self._server = os.getpid()
        for number in SIGNALS:
            signal.signal(number, self._signalled)

    def _signalled(self, signum: int, frame) -> None:
        if os.getpid() != self._server:
            # A worker forked with this handler, stopped (by granian) before it set its own:
            # its start-up ends here. Draining from it would find the edge gone, and the
            # worker, the signal spent, would serve on until killed.
            return _stop_starting(signum, frame)
        if self._begun.is_set():
            return  # already stopping: a second signal changes nothing
        self._begun.set()
        log.info("stopping (%s): /readyz answers 503; serving for %d s more, then finishing the requests "
                 "in flight", signal.Signals(signum).name, self.drain_seconds)
        threading.Thread(target=self._run, name="drain", daemon=True).start()

    def _run(self) -> None:
        try:
            self.edge.drain()
        except OSError as error:  # the edge is gone already: nothing left to drain
            log.warning("stopping: the edge did not take the drain (%s)", error)
        self._never.wait(self.drain_seconds)
        log.info("stopping: no longer accepting connections; waiting for the requests in flight")
        self.edge.close()
        self.then()
