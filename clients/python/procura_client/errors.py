"""The problems (RFC 9457) Procura answers with, as exceptions: one class per
thing a caller does about it, each carrying the problem's members."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from ._generated.models.change_since_out import ChangeSinceOut
from ._generated.models.problem import Problem
from ._generated.types import Unset


@dataclass(frozen=True)
class FieldError:
    """One refused field of a 422: its JSON pointer, why, and a stable code."""

    pointer: str
    detail: str
    code: str


class ProcuraError(Exception):
    """A problem answer. `problem` is the whole typed problem; `slug` the last
    part of its `type` (`version-conflict`), `status` its HTTP status."""

    def __init__(self, problem: Problem):
        super().__init__(f"{problem.status} {problem.title}: {problem.detail}")
        self.problem = problem
        self.status = problem.status
        self.slug = problem.type_.rsplit("/", 1)[-1]
        self.next_action = str(problem.next_action)


class Conflict(ProcuraError):
    """409: the PO moved on (`version-conflict`) or does not take this command
    now (`illegal-transition`). Refresh, decide, and send again with a new key."""

    def __init__(self, problem: Problem):
        super().__init__(problem)
        self.current_version: int | None = _given(problem.current_version)
        self.expected_version: int | None = _given(problem.expected_version)
        status = _given(problem.current_status)
        self.current_status: str | None = None if status is None else str(status)
        self.allowed_actions: list[str] = list(_given(problem.allowed_actions) or [])
        self.changes_since: list[ChangeSinceOut] = list(_given(problem.changes_since) or [])


class ValidationFailed(ProcuraError):
    """422: the request is wrong; `errors` point at each refused field."""

    def __init__(self, problem: Problem):
        super().__init__(problem)
        self.errors = [FieldError(e.pointer, e.detail, e.code) for e in _given(problem.errors) or []]
        self.errors_omitted: int = _given(problem.errors_omitted) or 0


class Forbidden(ProcuraError):
    """403: this caller may not do this (role, ownership, separation of duties, limit)."""


class NotFound(ProcuraError):
    """404: no such thing, or not one this caller may see."""


class Unauthenticated(ProcuraError):
    """401: no valid token."""


class Unavailable(ProcuraError):
    """429 or 5xx still answered after every retry the policy allowed."""


class OperationFailed(Exception):
    """A placement ended `failed`; `problem` says why (`supplier-refused`,
    `supplier-unavailable`)."""

    def __init__(self, problem: Problem | None):
        super().__init__(problem.detail if problem is not None else "the operation failed")
        self.problem = problem


T = TypeVar("T")


def _given(value: T | Unset) -> T | None:
    return None if isinstance(value, Unset) else value


def error_for(problem: Problem) -> ProcuraError:
    """The exception for `problem`, by status."""
    kind: type[ProcuraError] = {
        401: Unauthenticated, 403: Forbidden, 404: NotFound, 409: Conflict, 422: ValidationFailed,
        429: Unavailable}.get(problem.status, Unavailable if problem.status >= 500 else ProcuraError)
    if kind is Conflict and problem.type_.rsplit("/", 1)[-1] not in ("version-conflict", "illegal-transition"):
        kind = ProcuraError
    return kind(problem)
