"""Idempotency keys: their syntax, request fingerprints, and the
process-local guard that answers `idempotency-key-in-flight`.

The durable half (the command record written with the events) lives in the
recorders; a concurrent duplicate in another process is stopped there.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from typing import Any

KEY_PATTERN = re.compile(r"^[\x20-\x7e]{1,255}$")


def is_valid_key(key: str | None) -> bool:
    """1-255 printable ASCII characters (docs/integrators/api.md, section 2, Idempotency)."""
    return key is not None and bool(KEY_PATTERN.match(key))


def fingerprint(*, method: str, route: str, path_params: dict[str, Any], body: Any, if_match: int | None) -> str:
    """A digest of everything that makes two requests "the same request"."""
    canonical = json.dumps(
        [method, route, path_params, body, if_match], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class InFlightKeys:
    """Keys whose first request is still running in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._keys: set[tuple[str, str, str]] = set()

    def claim(self, scope: tuple[str, str, str]) -> bool:
        """True if the caller now owns `scope`; False if another request does."""
        with self._lock:
            if scope in self._keys:
                return False
            self._keys.add(scope)
            return True

    def release(self, scope: tuple[str, str, str]) -> None:
        with self._lock:
            self._keys.discard(scope)
