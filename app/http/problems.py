"""The one error table: every refusal becomes RFC 9457 problem+json here.

Views never build error responses themselves; they raise, and `problem_for`
maps the exception to its slug, status, `next_action` and extra members
(the slugs' types: app.service.problem_types).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from flask import Response, g
from werkzeug.exceptions import HTTPException

from aggregates.errors import IllegalTransition, InvariantViolated, Refusal
from app.service import errors as app_errors
from app.service.problem_types import PROBLEM_TYPES
from app.telemetry import tracing

log = logging.getLogger("procura.http")


@dataclass
class Problem(Exception):
    """A refusal raised at the HTTP edge (parsing, headers, authentication)."""

    slug: str
    detail: str
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


def unauthenticated(detail: str) -> Problem:
    return Problem("unauthenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="procura"'})


_HTTP_SLUGS = {400: "malformed-request", 404: "not-found", 405: "method-not-allowed",
               413: "payload-too-large", 415: "unsupported-media-type"}


def _refusal_problem(error: Exception) -> Problem | None:
    if isinstance(error, Refusal):
        return Problem(error.slug, error.detail, dict(error.extra))
    if isinstance(error, IllegalTransition):
        return Problem("illegal-transition", str(error), {
            "current_status": error.current_status,
            "current_version": error.current_version,
            "allowed_actions": error.allowed_actions,
        })
    if isinstance(error, InvariantViolated):
        return Problem("validation-error", "Some fields are invalid.", {
            "errors": [{"pointer": v.pointer, "detail": v.detail, "code": v.code} for v in error.violations]
        })
    return None


def _application_problem(error: Exception) -> Problem | None:
    e = app_errors
    if isinstance(error, e.NotFound):
        return Problem("not-found", str(error))
    if isinstance(error, e.VersionConflict):
        return Problem("version-conflict", str(error), {
            "expected_version": error.expected_version,
            "current_version": error.current_version,
            "current_status": error.current_status,
            "allowed_actions": error.allowed_actions,
            "changes_since": error.changes_since,
        })
    if isinstance(error, e.PreconditionRequired):
        return Problem("precondition-required", str(error), {"current_version": error.current_version})
    if isinstance(error, e.IdempotencyKeyReused):
        return Problem("idempotency-key-reused", str(error))
    if isinstance(error, e.IdempotencyKeyInFlight):
        return Problem("idempotency-key-in-flight", str(error), headers={"Retry-After": "1"})
    if isinstance(error, e.DependencyUnavailable):
        return Problem("dependency-unavailable", str(error), {"dependency": error.dependency},
                       headers={"Retry-After": "2"})
    return None


def problem_for(error: Exception) -> tuple[Problem, int]:
    """The problem (and HTTP status) that answers `error`."""
    if isinstance(error, Problem):
        return error, PROBLEM_TYPES[error.slug].status
    problem = _refusal_problem(error) or _application_problem(error)
    if problem is not None:
        return problem, PROBLEM_TYPES[problem.slug].status
    if isinstance(error, HTTPException) and error.code and 400 <= error.code < 500:
        slug = _HTTP_SLUGS.get(error.code, "malformed-request")
        return Problem(slug, error.description or PROBLEM_TYPES[slug].title), error.code
    log.error("unhandled error", exc_info=error)
    return Problem("internal-error", "An unexpected error occurred."), 500


#: A 422 lists at most this many field errors; `errors_omitted` counts the rest
#: (a body of 90,000 unknown members must not get a 7 MB answer).
MAX_LISTED_ERRORS = 50


def _capped(extra: dict[str, Any]) -> dict[str, Any]:
    errors = extra.get("errors")
    if not isinstance(errors, list) or len(errors) <= MAX_LISTED_ERRORS:
        return extra
    return {**extra, "errors": errors[:MAX_LISTED_ERRORS], "errors_omitted": len(errors) - MAX_LISTED_ERRORS}


def problem_document(problem: Problem, status: int) -> dict[str, Any]:
    kind = PROBLEM_TYPES[problem.slug]
    document = {
        "type": f"/problems/{problem.slug}",
        "title": kind.title,
        "status": status,
        "detail": problem.detail,
        "instance": g.get("request_id"),
        "next_action": kind.next_action,
    }
    document.update(_capped(problem.extra))
    trace_id = tracing.trace_id()
    if trace_id is not None:
        document["trace_id"] = trace_id
    return document


def problem_response(error: Exception) -> Response:
    problem, status = problem_for(error)
    g.problem_slug = problem.slug  # for the command-outcome metric
    body = json.dumps(problem_document(problem, status))
    response = Response(body, status=status, mimetype="application/problem+json")
    response.headers.update(problem.headers)
    if status == 405 and isinstance(error, HTTPException):
        allow = error.get_headers()
        response.headers.update({k: v for k, v in allow if k == "Allow"})
    return response
