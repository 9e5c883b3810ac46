"""Marshmallow schemas of what the API sends: responses are dumped through
them, and the OpenAPI document is generated from them, so the published
contract and the bytes on the wire come from one source."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from aggregates.transitions import REMARKS, Status

NEXT_ACTIONS = ["fix_request", "refresh_and_retry", "retry_later", "wait", "authenticate", "stop"]
OPERATION_STATUSES = ["pending", "running", "succeeded", "failed"]
PO_STATUSES = [status.value for status in Status]


#: The known values of every open enum, by name: app.http.openapi publishes
#: each as a component schema, so a generated client has one type per name.
KNOWN_VALUES: dict[str, list[str]] = {}


def open_enum(name: str, values: list[str], description: str = "") -> dict:
    """Metadata for a string whose values Procura may add to (docs/integrators/api.md,
    "Open enums"): the known values (component `name`), or any other string.
    A generated client gets a type that takes the known values and keeps an
    unknown one as text, where a closed enum would refuse the whole answer."""
    if KNOWN_VALUES.setdefault(name, list(values)) != list(values):
        raise ValueError(f"open enum {name} declared with two lists of values")
    note = "Known values are listed; treat any other as unknown, never as an error."
    return {"anyOf": [{"$ref": f"#/components/schemas/{name}"}, {"type": "string"}],
            "description": f"{description}. {note}" if description else note}


class ProblemObject(fields.Raw):
    """A problem object kept as the client got it (every member), documented
    as the Problem schema (app.http.openapi)."""


class LineOut(Schema):
    sku = fields.String(required=True)
    description = fields.String(required=True)
    quantity = fields.Integer(required=True)
    unit = fields.String(required=True)
    unit_price = fields.String(required=True, metadata={"description": "money: decimal string, 2 places"})


#: The texts commands leave on a PO (a rejection's reason, ...), one field
#: each, as the command declarations name them.
_Remarks = Schema.from_dict({name: fields.String(allow_none=True, required=True) for name in REMARKS},
                            name="Remarks")


class PurchaseOrderOut(_Remarks):
    id = fields.UUID(required=True)
    org = fields.String(required=True)
    title = fields.String(required=True)
    supplier_id = fields.String(required=True)
    department = fields.String(allow_none=True, required=True)
    requester = fields.String(required=True)
    currency = fields.String(required=True)
    lines = fields.List(fields.Nested(LineOut), required=True)
    total = fields.String(required=True, metadata={"description": "money: decimal string, 2 places"})
    needed_by = fields.Date(required=True)
    status = fields.String(required=True, metadata=open_enum("PurchaseOrderStatus", PO_STATUSES))
    version = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})
    supplier_reference = fields.String(allow_none=True, required=True)
    tracking_number = fields.String(allow_none=True, required=True)
    operation_id = fields.UUID(allow_none=True, required=True)
    allowed_actions = fields.List(fields.String(), required=True,
                                  metadata={"description": "commands this caller may issue now"})


class OperationOut(Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True)
    status = fields.String(required=True, metadata=open_enum("OperationStatus", OPERATION_STATUSES))
    purchase_order_id = fields.UUID(required=True)
    attempts = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata={"format": "date-time"})
    updated_at = fields.String(required=True, metadata={"format": "date-time"})
    error = ProblemObject(allow_none=True, required=True, metadata={"description": "the problem, when failed"})
    result = fields.Nested(lambda: OperationResultOut(), allow_none=True, required=True,
                           metadata={"description": "what it produced, when succeeded"})


class OperationResultOut(Schema):
    """A succeeded operation's result: a placement's supplier reference."""

    supplier_reference = fields.String(metadata={"description": "place: the supplier's id for the order"})


class PlacementOut(OperationOut):
    purchase_order = fields.Nested(PurchaseOrderOut, required=True)


class HistoryEventOut(Schema):
    version = fields.Integer(required=True)
    type = fields.String(required=True)
    occurred_at = fields.String(required=True, metadata={"format": "date-time"})
    actor = fields.String(allow_none=True, required=True)
    command_id = fields.String(allow_none=True, required=True)
    correlation_id = fields.String(allow_none=True, required=True)
    causation_id = fields.String(allow_none=True, required=True)
    data = fields.Dict(required=True)


_NEXT = {"description": "the cursor of the next page (older steps); null on the oldest page"}


class HistoryOut(Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    events = fields.List(fields.Nested(HistoryEventOut), required=True,
                         metadata={"description": "newest first; at most `limit` and 1 MiB in all"})
    next_cursor = fields.String(allow_none=True, required=True, metadata=_NEXT)


class FieldErrorOut(Schema):
    pointer = fields.String(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True)


class ProblemOut(Schema):
    """RFC 9457 problem details, with Procura's `next_action` and extras."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(required=True, metadata={"description": "the request id (X-Request-Id)"})
    next_action = fields.String(required=True,
                                metadata=open_enum("NextAction", NEXT_ACTIONS, "what to do about it"))
    errors = fields.List(fields.Nested(FieldErrorOut), metadata={"description": "validation-error only; at most 50"})
    errors_omitted = fields.Integer(metadata={"description": "validation-error only: how many more errors there "
                                                             "were than the 50 listed (absent when none)"})
    header = fields.String(metadata={"description": "malformed-request only: the request header at fault, "
                                                    "when one is (webhook-id)"})
    trace_id = fields.String(validate=validate.Regexp(r"^[0-9a-f]{32}$"), metadata={
        "description": "the OpenTelemetry trace of the request that got this answer, when tracing is on "
                       "(docs/operators/tracing.md)"})
    # Members some types add (docs/integrators/api.md, section 3); a later one may add more.
    current_version = fields.Integer(metadata={
        "description": "version-conflict, illegal-transition, precondition-required: the PO's version now"})
    expected_version = fields.Integer(metadata={"description": "version-conflict: the version you sent"})
    current_status = fields.String(metadata=open_enum(
        "PurchaseOrderStatus", PO_STATUSES, "version-conflict, illegal-transition: the PO's status now"))
    allowed_actions = fields.List(fields.String(), metadata={
        "description": "version-conflict, illegal-transition: the commands you may issue now"})
    changes_since = fields.List(fields.Nested(lambda: ChangeSinceOut()), metadata={
        "description": "version-conflict: the events after the version you sent, oldest first"})
    required = fields.List(fields.String(), metadata={"description": "forbidden: the roles that may do this"})
    limit = fields.Raw(metadata={"type": ["string", "integer"], "description": (
        "approval-limit-exceeded: your approval limit (money, a string); too-many-concurrent: the requests "
        "you may have at once; rate-limited by the edge: the requests per window (integers)")})
    window_seconds = fields.Integer(metadata={"description": "rate-limited by the edge: the window of `limit`"})
    total = fields.String(metadata={"description": "approval-limit-exceeded: the PO's total (money)"})
    dependency = fields.String(metadata={"description": "dependency-unavailable: what did not answer"})
    position = fields.Integer(metadata={"description": "projection-behind: the position the read model reached"})
    min_position = fields.Integer(metadata={"description": "projection-behind: the position you asked for"})

    class Meta:
        unknown = "include"


class ChangeSinceOut(Schema):
    """One event a version-conflict's client has not seen."""

    version = fields.Integer(required=True)
    type = fields.String(required=True)
    occurred_at = fields.String(required=True, metadata={"format": "date-time"})
    actor = fields.String(allow_none=True, required=True)


class StatusOut(Schema):
    status = fields.String(required=True)


class ReadModelsOut(Schema):
    state = fields.String(required=True, metadata=open_enum("ReadModelsState", ["current", "behind", "stale"], (
        "current: every read model and processor has seen the store's last event; behind: some "
        "have not, and are moving; stale: some have not moved for PROCURA_READ_MODEL_STALE_SECONDS while events "
        "wait (no worker runs them)")))
    behind_events = fields.Integer(required=True, metadata={"description": "events the furthest behind has yet to see"})
    stale = fields.List(fields.String(), required=True, metadata={"description": "the stale ones, by name"})


class ReadyOut(StatusOut):
    read_models = fields.Nested(ReadModelsOut, required=True)


class HealthOut(StatusOut):
    release = fields.String(required=True, metadata={"description": "this process's release of Procura"})
    schema_version = fields.Integer(
        required=True, metadata={"description": "the database's schema version when this process started "
                                                "(the highest schema step applied)"})


# --- support views: trace and timeline ------------------------------------------

_TIME = {"format": "date-time"}


class TracedEventOut(Schema):
    position = fields.Integer(required=True, metadata={"description": "global position in the event store"})
    aggregate_id = fields.String(required=True, metadata={"description": "the PO's or the operation's id"})
    version = fields.Integer(required=True)
    type = fields.String(required=True)
    at = fields.String(required=True, metadata=_TIME)
    actor = fields.String(allow_none=True, required=True)
    command = fields.String(allow_none=True, required=True,
                            metadata={"description": "the declared command this PO event records; "
                                                     "null for operation events"})
    command_id = fields.String(allow_none=True, required=True,
                               metadata={"description": "the Idempotency-Key, or a callback's webhook-id"})
    request_id = fields.String(allow_none=True, required=True,
                               metadata={"description": "the request that wrote it; null for the "
                                                        "placement worker's own decisions"})
    correlation_id = fields.String(allow_none=True, required=True)
    causation_id = fields.String(allow_none=True, required=True)


class TracedCommandOut(Schema):
    key = fields.String(required=True, metadata={"description": "the Idempotency-Key"})
    principal = fields.String(required=True, metadata={"description": "who sent it (the token's sub)"})
    status = fields.Integer(required=True, metadata={"description": "the HTTP status it was answered with"})
    po_id = fields.String(allow_none=True, required=True,
                          metadata={"description": "the PO of a command on an existing PO"})
    created_at = fields.String(required=True, metadata=_TIME)
    event_position = fields.Integer(allow_none=True, required=True,
                                    metadata={"description": "its last event's position; null: it wrote none"})
    request_id = fields.String(allow_none=True, required=True)
    problem = ProblemObject(allow_none=True, required=True,
                            metadata={"description": "the problem+json the client got, when refused (status >= 400)"})


class TraceOut(Schema):
    id = fields.String(required=True)
    events = fields.List(fields.Nested(TracedEventOut), required=True, metadata={
        "description": "a page of the events written under the id or naming it, in global order"})
    commands = fields.List(fields.Nested(TracedCommandOut), required=True, metadata={
        "description": "the command records with the id as their Idempotency-Key or naming it as their PO, "
                       "oldest first: on the first page only"})
    truncated = fields.Boolean(required=True, metadata={
        "description": "more command records matched than the first page holds (1000, or 1 MiB in all): "
                       "the oldest are shown"})
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "the cursor of the page of later events; null on the last page"})


class ChangeOut(Schema):
    field = fields.String(required=True)
    before = fields.Raw(allow_none=True, required=True)
    after = fields.Raw(allow_none=True, required=True)


class TimelineStepOut(Schema):
    """An event (`kind: event`) or a refused command (`kind: refusal`);
    each kind has the members its description names."""

    kind = fields.String(required=True, metadata=open_enum("TimelineStepKind", ["event", "refusal"]))
    at = fields.String(required=True, metadata=_TIME)
    actor = fields.String(allow_none=True, required=True)
    command_id = fields.String(allow_none=True, required=True)
    request_id = fields.String(allow_none=True, required=True)
    # kind "event"
    position = fields.Integer(metadata={"description": "event: its global position"})
    version = fields.Integer(metadata={"description": "event: the PO's version it made"})
    type = fields.String(metadata={"description": "event: its type (Submitted, Placed, ...)"})
    command = fields.String(allow_none=True, metadata={"description": "event: the declared command it records"})
    correlation_id = fields.String(allow_none=True)
    causation_id = fields.String(allow_none=True)
    changes = fields.List(fields.Nested(ChangeOut), metadata={
        "description": "event: the PO fields it changed (version and updated_at left out)"})
    state = fields.Dict(metadata={"description": "event: the PO's fields after it"})
    # kind "refusal"
    status = fields.Integer(metadata={"description": "refusal: the HTTP status its client got"})
    problem = ProblemObject(metadata={"description": "refusal: the problem+json its client got"})
    abridged = fields.Boolean(metadata={
        "description": "present (true) only on a step too large for a page on its own: an event without "
                       "`state` (read it with GET /purchase-orders/{id}?version=N), a refusal whose problem "
                       "keeps only type, title, status, detail, instance and next_action"})


class AttemptOut(Schema):
    attempt = fields.Integer(required=True)
    at = fields.String(required=True, metadata=_TIME)
    actor = fields.String(allow_none=True, required=True)


class TimelineOperationOut(Schema):
    id = fields.String(required=True)
    state = fields.String(required=True, metadata=open_enum("PlacementState", ["pending", "queued", "done"], (
        "the placement's outbox state: pending (calls to make), queued (the supplier decides and calls back), done")))
    attempts = fields.Integer(required=True, metadata={"description": "calls to the supplier started"})
    uncertain = fields.Boolean(required=True, metadata={
        "description": "an order may exist at the supplier that Procura does not know of yet"})
    last_error = fields.String(allow_none=True, required=True, metadata={
        "description": "why the last call failed (it was retried)"})
    created_at = fields.String(required=True, metadata=_TIME)
    updated_at = fields.String(required=True, metadata=_TIME)
    status = fields.String(required=True, metadata=open_enum("OperationStatus", OPERATION_STATUSES))
    error = ProblemObject(allow_none=True, required=True)
    result = fields.Nested(OperationResultOut, allow_none=True, required=True)
    attempt_log = fields.List(fields.Nested(AttemptOut), required=True)


class TimelineOut(Schema):
    id = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, metadata=open_enum("PurchaseOrderStatus", PO_STATUSES))
    steps = fields.List(fields.Nested(TimelineStepOut), required=True,
                        metadata={"description": "newest first; at most `limit` and 1 MiB in all"})
    operations = fields.List(fields.Nested(TimelineOperationOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True, metadata=_NEXT)


class CallbackReceiptOut(Schema):
    """What Procura did with a supplier's callback."""

    outcome = fields.String(required=True, metadata=open_enum(
        "CallbackOutcome", ["applied", "ignored", "duplicate", "unmatched"],
        "applied: recorded on its PO; ignored: nothing to change; duplicate: this webhook-id was seen before; "
        "unmatched (202): it names no purchase order Procura knows"))


class DemoUserOut(Schema):
    name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    department = fields.String(allow_none=True, required=True)
    approval_limit = fields.String(allow_none=True, required=True)
    token = fields.String(required=True, metadata={"description": "a bearer token for this user"})


class DemoUsersOut(Schema):
    users = fields.List(fields.Nested(DemoUserOut), required=True)
