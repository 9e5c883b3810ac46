"""The polling threads of the placement executor and the webhook sender
(app/polling.py): an idle pool polls as one thread would, and a thread held
by slow work never leaves the pool unpolled."""

from __future__ import annotations

import threading
import time

from app.polling import Pollers
from testkit.server import wait_until

IDLE_WAIT = 0.05


def test_an_idle_pool_of_four_threads_polls_once_per_idle_wait_not_four_times():
    polls = []
    pollers = Pollers("test-idle", 4, lambda: polls.append(time.monotonic()) or False, IDLE_WAIT).start()
    try:
        wait_until(lambda: len(polls) >= 24, 10, interval=0.01, what="24 polls")
    finally:
        pollers.stop()
    # The first four are each thread's first look; after that one poll per idle_wait
    # (four threads each polling would take a quarter of the time).
    assert polls[23] - polls[3] >= 20 * IDLE_WAIT * 0.8


def test_work_that_turns_up_while_a_thread_is_held_by_slow_work_is_still_taken():
    queue = ["slow"]
    release, taken = threading.Event(), []
    lock = threading.Lock()

    def work() -> bool:
        with lock:
            item = queue.pop(0) if queue else None
        if item is None:
            return False
        taken.append(item)
        if item == "slow":
            release.wait(10)
        return True

    pollers = Pollers("test-held", 2, work, IDLE_WAIT).start()
    try:
        wait_until(lambda: taken == ["slow"], 5, interval=0.01, what="the slow item to be taken")
        with lock:
            queue.append("quick")  # no set(): only polling finds it
        wait_until(lambda: "quick" in taken, 5, interval=0.01, what="the item that came while the other was held")
        assert not release.is_set()
    finally:
        release.set()
        pollers.stop()


def test_set_wakes_every_idle_thread_at_once():
    calls = []
    pollers = Pollers("test-wake", 3, lambda: calls.append(threading.current_thread().name) or False, 60.0).start()
    try:
        wait_until(lambda: len(calls) == 3, 5, interval=0.01, what="each thread's first look")
        pollers.set()  # the next poll would come only after a minute
        wait_until(lambda: len(set(calls[3:])) == 3, 5, interval=0.01, what="all three threads to look again")
    finally:
        pollers.stop()
