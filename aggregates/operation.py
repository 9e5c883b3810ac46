"""The Operation aggregate: slow work a client can track (docs/integrators/api.md section 6)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from aggregates.errors import OperationFinished

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

    def check_not_done(self) -> None:
        """Raise OperationFinished once the operation has succeeded or failed."""
        if self.is_done:
            raise OperationFinished(self.status)

    # Intents check, then trigger one event; replaying never re-runs a check.

    def start_attempt(self) -> None:
        self.check_not_done()
        self._attempt_started()

    def succeed(self, result: dict[str, Any]) -> None:
        self.check_not_done()
        self._succeeded(result=result)

    def fail(self, error: dict[str, Any]) -> None:
        self.check_not_done()
        self._failed(error=error)

    @event("AttemptStarted")
    def _attempt_started(self) -> None:
        self.status = RUNNING
        self.attempts += 1

    @event("Succeeded")
    def _succeeded(self, result: dict[str, Any]) -> None:
        self.status = SUCCEEDED
        self.result = result

    @event("Failed")
    def _failed(self, error: dict[str, Any]) -> None:
        self.status = FAILED
        self.error = error
