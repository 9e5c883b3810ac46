"""Release several threads at one instant: how the concurrency tests make
requests collide instead of merely overlapping."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


def race(count: int, send: Callable[[int], T]) -> list[T]:
    """Run `send(i)` in `count` threads (i = 0..count-1) released at the same
    instant; their results in index order."""
    barrier = threading.Barrier(count)

    def go(index: int) -> T:
        barrier.wait()
        return send(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(go, range(count)))
