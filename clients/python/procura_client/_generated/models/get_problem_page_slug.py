from enum import StrEnum


class GetProblemPageSlug(StrEnum):
    APPROVAL_LIMIT_EXCEEDED = "approval-limit-exceeded"
    CALLBACK_UNAUTHENTICATED = "callback-unauthenticated"
    DEPENDENCY_UNAVAILABLE = "dependency-unavailable"
    FORBIDDEN = "forbidden"
    IDEMPOTENCY_KEY_IN_FLIGHT = "idempotency-key-in-flight"
    IDEMPOTENCY_KEY_MISSING = "idempotency-key-missing"
    IDEMPOTENCY_KEY_REUSED = "idempotency-key-reused"
    ILLEGAL_TRANSITION = "illegal-transition"
    INTERNAL_ERROR = "internal-error"
    MALFORMED_REQUEST = "malformed-request"
    METHOD_NOT_ALLOWED = "method-not-allowed"
    NOT_FOUND = "not-found"
    OVERLOADED = "overloaded"
    PAYLOAD_TOO_LARGE = "payload-too-large"
    PRECONDITION_REQUIRED = "precondition-required"
    PROJECTION_BEHIND = "projection-behind"
    RATE_LIMITED = "rate-limited"
    REQUEST_TIMEOUT = "request-timeout"
    SEPARATION_OF_DUTIES = "separation-of-duties"
    SHUTTING_DOWN = "shutting-down"
    SUPPLIER_REFUSED = "supplier-refused"
    SUPPLIER_UNAVAILABLE = "supplier-unavailable"
    TOO_MANY_CONCURRENT = "too-many-concurrent"
    UNAUTHENTICATED = "unauthenticated"
    UNSUPPORTED_MEDIA_TYPE = "unsupported-media-type"
    VALIDATION_ERROR = "validation-error"
    VERSION_CONFLICT = "version-conflict"

    def __str__(self) -> str:
        return str(self.value)
