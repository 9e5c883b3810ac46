"""Application-level refusals: the ones that come from the request's relation
to stored state (idempotency, versions, visibility), not from the domain."""

from __future__ import annotations

from dataclasses import dataclass, field

from eventsourcing.persistence import InterfaceError, OperationalError


@dataclass
class NotFound(Exception):
    """No such resource, or one the caller may not know exists."""

    what: str = "purchase order"

    def __str__(self) -> str:
        return f"No {self.what} with this id."


@dataclass
class PreconditionRequired(Exception):
    """A command on an existing PO came without `If-Match`."""

    current_version: int

    def __str__(self) -> str:
        return "Send If-Match with the version you last saw."


@dataclass
class VersionConflict(Exception):
    """The client's `If-Match` is stale, or it lost a race at save time."""

    expected_version: int
    current_version: int
    current_status: str
    allowed_actions: list[str]
    changes_since: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"You sent version {self.expected_version}; the purchase order is now at "
            f"version {self.current_version} ({self.current_status})."
        )


class IdempotencyKeyReused(Exception):
    def __str__(self) -> str:
        return "This Idempotency-Key was already used for a different request."


class IdempotencyKeyInFlight(Exception):
    def __str__(self) -> str:
        return "A request with this Idempotency-Key is still being processed."


@dataclass
class DependencyUnavailable(Exception):
    dependency: str = "database"

    def __str__(self) -> str:
        return f"The {self.dependency} cannot be reached right now."


class lost_connection_as_unavailable:
    """`with lost_connection_as_unavailable("database"):` turns a lost or
    refused connection inside the block into DependencyUnavailable (503 with
    Retry-After), so no caller answers a database outage with a 500."""

    def __init__(self, dependency: str):
        self.dependency = dependency

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and issubclass(exc_type, (OperationalError, InterfaceError)):
            raise DependencyUnavailable(self.dependency) from exc
        return False
