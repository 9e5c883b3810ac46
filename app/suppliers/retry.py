"""When to try a supplier again: exponential backoff with full jitter,
never sooner than the supplier's own Retry-After."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RetryPolicy:
    """`max_attempts` calls in all; delay before attempt n+1 is drawn from
    [base * 2**(n-1) / 2, base * 2**(n-1)], capped at `cap` seconds."""

    max_attempts: int = 6
    base: float = 0.5
    cap: float = 30.0
    rand: Callable[[], float] = field(default=random.random, compare=False)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the `attempts`-th failed call."""
        ceiling = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        # Half fixed, half random: spreads retries without ever retrying at once.
        jittered = ceiling / 2 + self.rand() * ceiling / 2
        return max(jittered, retry_after or 0.0)
