"""granian forks its workers after `procura serve` installs its drain handler,
and a worker sets handlers of its own only once its application is built: a
stop reaching a worker before then (the server stopped while that worker was
starting) ends the worker's start-up, instead of a drain that the worker has
no edge for and that would leave it serving until killed."""

from __future__ import annotations

import multiprocessing
import signal
import time

from app.serving.shutdown import SIGNALS, Drain


class _Edge:
    def drain(self) -> None:
        pass

    def close(self) -> None:
        pass


def _starting_worker(forked) -> None:
    forked.set()
    time.sleep(30)  # still building its application


def test_a_worker_stopped_while_it_starts_exits_at_once_with_0():
    before = {number: signal.getsignal(number) for number in SIGNALS}
    context = multiprocessing.get_context("fork")
    try:
        Drain(_Edge(), 0, then=lambda: None).install()
        forked = context.Event()
        worker = context.Process(target=_starting_worker, args=(forked,))
        worker.start()
    finally:
        for number, handler in before.items():
            signal.signal(number, handler)
    try:
        assert forked.wait(10)
        worker.terminate()
        worker.join(10)
        assert worker.exitcode == 0
    finally:
        if worker.is_alive():
            worker.kill()
            worker.join()
