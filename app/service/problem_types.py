"""Every kind of refusal Procura answers with, by slug: its HTTP status,
title, `next_action` and explanation (RFC 9457 problem types).

Beside the errors that raise them, below every adapter: the web adapter
renders them as problem+json (app.http.problems), a failed placement carries
one as its Operation's `error` (app.suppliers.outcomes), the edge answers
with them (app.serving.edge) and the OpenAPI document lists them.
"""

from __future__ import annotations

from dataclasses import dataclass


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
