"""Metrics are made on first use (after the multiprocess directory is set);
threads racing to that first use must get one metric, not a refusal."""

from __future__ import annotations

import threading
import time

from app.telemetry.metrics import made_once


def test_threads_racing_to_the_first_use_all_get_the_one_thing_made_once():
    calls = []

    @made_once
    def make():
        calls.append(1)
        time.sleep(0.05)  # a slow first making: the others arrive meanwhile
        return object()

    start, got = threading.Barrier(8), []

    def use():
        start.wait()
        got.append(make())

    threads = [threading.Thread(target=use) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len({id(thing) for thing in got}) == 1 and len(got) == 8
