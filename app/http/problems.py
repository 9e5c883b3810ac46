"""The one error table: every refusal becomes RFC 9457 problem+json here.

Views never build error responses themselves; they raise, and `problem_for`
maps the exception to its slug, status, `next_action` and extra members.
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
from app.telemetry import tracing

log = logging.getLogger("procura.http")


@dataclass(frozen=True)
class ProblemType:
    status: int
    title: str
    next_action: str
    explanation: str


PROBLEM_TYPES: dict[str, ProblemType] = {
    "malformed-request": ProblemType(400, "Malformed request", "fix_request",
        "The body is not a JSON object (or a header such as If-Match or a callback's webhook-id is not well formed; `header` names a callback's). Fix the request; resending it unchanged will fail again."),
    "idempotency-key-missing": ProblemType(400, "Idempotency-Key missing or malformed", "fix_request",
        "Every command needs an Idempotency-Key header of 1-255 printable ASCII characters. Generate a new random key (a UUID is ideal) for each new intent and reuse it only to retry that same request."),
    "unauthenticated": ProblemType(401, "Authentication required", "authenticate",
        "Send Authorization: Bearer <token> with a valid, unexpired token. Obtain a fresh token and retry."),
    "forbidden": ProblemType(403, "Not allowed for your roles", "stop",
        "Your roles or ownership do not allow this action on this purchase order. The `required` member names who may do it; ask one of them."),
    "separation-of-duties": ProblemType(403, "Separation of duties", "stop",
        "Nobody may approve or reject a purchase order they requested themselves. Another approver must decide."),
    "approval-limit-exceeded": ProblemType(403, "Approval limit exceeded", "stop",
        "The order's total is above your approval limit (`limit`, `total`). An approver with a higher limit must decide."),
    "not-found": ProblemType(404, "Not found", "stop",
        "There is no such resource, or it belongs to an organisation you cannot see. Check the id."),
    "method-not-allowed": ProblemType(405, "Method not allowed", "fix_request",
        "This path does not accept that HTTP method. Commands are POSTs to /purchase-orders/{id}/{command}; there is no endpoint that sets a status."),
    "illegal-transition": ProblemType(409, "Action not allowed in the current status", "refresh_and_retry",
        "The purchase order's current status does not allow this action. `current_status`, `current_version` and `allowed_actions` say what is possible now; refresh and choose one of those."),
    "version-conflict": ProblemType(409, "Version conflict", "refresh_and_retry",
        "Someone changed the purchase order since the version you sent in If-Match. `changes_since` lists what changed. Re-read it, decide again, and send the command with the new version and a NEW Idempotency-Key: a re-sent command after a refresh is a new request."),
    "idempotency-key-in-flight": ProblemType(409, "Request with this key still running", "retry_later",
        "The first request with this Idempotency-Key has not finished. Retry after Retry-After seconds with the same key to get its answer."),
    "request-timeout": ProblemType(408, "Request timeout", "retry_later",
        "The whole request (headers and body) did not arrive within the request timeout (10 s by default), so the connection was closed and nothing ran. Send it again, with the same Idempotency-Key for a command."),
    "payload-too-large": ProblemType(413, "Payload too large", "fix_request",
        "Request bodies are limited to 1 MiB."),
    "unsupported-media-type": ProblemType(415, "Unsupported media type", "fix_request",
        "Send bodies as application/json."),
    "validation-error": ProblemType(422, "Invalid fields", "fix_request",
        "Some fields are invalid. `errors` lists them with a JSON Pointer, a message and a code: every one, or the first 50 with `errors_omitted` counting the rest. Fix them and send again with a new Idempotency-Key."),
    "idempotency-key-reused": ProblemType(422, "Idempotency-Key reused for another request", "fix_request",
        "This key was already used with a different request (body, path, command or If-Match). Use a new key for a new request."),
    "precondition-required": ProblemType(428, "If-Match required", "refresh_and_retry",
        "Commands on an existing purchase order need If-Match with the version you last saw (`current_version` is the version now). Read the order, then send the command with If-Match."),
    "rate-limited": ProblemType(429, "Too many requests", "retry_later",
        "You sent more commands (or reads) than your limit allows in its window; the `RateLimit` and `RateLimit-Policy` headers say how many and how long. Or, answered by the edge after holding the request a second: more requests in a second with this token (`limit`, `window_seconds`) than one caller may send, or more unauthenticated requests from your address. Nothing was done: slow down, and retry after Retry-After seconds, with the same Idempotency-Key for a command."),
    "too-many-concurrent": ProblemType(429, "Too many requests at once", "retry_later",
        "You already have as many requests in flight at once as one caller may, so this one was not started and nothing was read or changed: either requests of any kind with this token, at the edge (`limit`, PROCURA_MAX_IN_FLIGHT_PER_CALLER), or expensive reads (traces, timelines, histories, reports, reads waiting for `min_position`) on a server process (`limit`, PROCURA_EXPENSIVE_READS_PER_CALLER). Retry after Retry-After seconds, once one of them has answered, with the same Idempotency-Key for a command."),
    "dependency-unavailable": ProblemType(503, "Dependency unavailable", "retry_later",
        "A dependency (`dependency`) cannot be reached. Nothing was committed; retry after Retry-After seconds with the same Idempotency-Key."),
    "overloaded": ProblemType(503, "Overloaded", "retry_later",
        "Every request slot is busy and this request waited its short turn in the queue without getting one, so nothing ran. Retry after Retry-After seconds, with the same Idempotency-Key for a command."),
    "shutting-down": ProblemType(503, "Shutting down", "retry_later",
        "This server process is stopping (a deploy or a scale-down): /readyz says so, so that a load balancer sends new requests elsewhere, while everything else is still served until it closes. Send your requests to another instance, or retry after Retry-After seconds."),
    "projection-behind": ProblemType(503, "Read model behind", "retry_later",
        "The read model has not yet caught up with `min_position`. Retry after Retry-After seconds."),
    "callback-unauthenticated": ProblemType(401, "Callback not authenticated", "authenticate",
        "Supplier callbacks must carry a valid Standard Webhooks signature (webhook-id, webhook-timestamp within 5 minutes, webhook-signature) made with the supplier's secret over the exact body sent. Nothing was recorded."),
    "supplier-refused": ProblemType(422, "Supplier refused the order", "stop",
        "The supplier refused or declined the purchase order; `detail` says why. Sending the same order again will not help: cancel it, or place it again once the cause is resolved."),
    "supplier-unavailable": ProblemType(503, "Supplier unavailable", "retry_later",
        "The supplier could not be reached or kept failing, so the placement was given up. Place the purchase order again later: if the supplier created the order after all, the new placement adopts it instead of ordering twice."),
    "internal-error": ProblemType(500, "Internal error", "retry_later",
        "Something failed inside Procura. Nothing was committed; retry later with the same Idempotency-Key, and quote the `instance` to support."),
}


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
