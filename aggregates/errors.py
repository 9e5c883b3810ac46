"""Domain errors: what the purchase-order domain refuses, and why.

Each error carries the facts a client needs to decide what to do next; the
HTTP layer maps them to problem details in one table.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Violation:
    """One broken rule about one field, addressed by a JSON Pointer."""

    pointer: str
    detail: str
    code: str


class InvariantViolated(Exception):
    """The requested change would break one or more invariants."""

    def __init__(self, violations: list[Violation]):
        super().__init__("; ".join(f"{v.pointer}: {v.detail}" for v in violations))
        self.violations = violations


@dataclass
class IllegalTransition(Exception):
    """The command is not legal from the aggregate's current status."""

    command: str
    current_status: str
    #: Filled in by the application, which knows the version and the caller.
    current_version: int | None = None
    allowed_actions: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.command} is not allowed while the order is {self.current_status}"


@dataclass
class Refusal(Exception):
    """The authorization policy refuses the action (see `policy.authorize`).

    `slug` names the reason: `forbidden`, `separation-of-duties`,
    `approval-limit-exceeded` or `not-found` (another org, or not visible).
    """

    slug: str
    detail: str
    extra: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


@dataclass
class OperationFinished(Exception):
    """A finished operation (succeeded or failed) never changes again."""

    status: str

    def __str__(self) -> str:
        return f"the operation has already {self.status}"
