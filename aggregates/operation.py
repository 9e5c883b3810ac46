"""The Operation aggregate: slow work a client can track (section 5)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

PENDING, RUNNING, SUCCEEDED, FAILED = "pending", "running", "succeeded", "failed"
DONE = frozenset({SUCCEEDED, FAILED})


class Operation(Aggregate):
    """One attempt at placing a PO with its supplier, as clients see it."""

    @event("Requested")
    def __init__(self, org: str, kind: str, purchase_order_id: UUID):
        self.org = org
        self.kind = kind
        self.purchase_order_id = purchase_order_id
        self.status = PENDING
        self.attempts = 0
        self.error: dict[str, Any] | None = None
        self.result: dict[str, Any] | None = None

    @property
    def is_done(self) -> bool:
        return self.status in DONE

    @event("AttemptStarted")
    def start_attempt(self) -> None:
        self.status = RUNNING
        self.attempts += 1

    @event("Succeeded")
    def succeed(self, result: dict[str, Any]) -> None:
        self.status = SUCCEEDED
        self.result = result

    @event("Failed")
    def fail(self, error: dict[str, Any]) -> None:
        self.status = FAILED
        self.error = error
