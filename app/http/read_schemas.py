"""Marshmallow schemas of the read-model endpoints: the query parameters they
accept (unknown ones are errors) and the documents they send.

Query conventions: errors point at `/<parameter>`; a parameter given twice
is an error (`repeated`), except `status`, which may be repeated or
comma-separated and means "any of". Date bounds take a date (`2026-01-31`,
a whole UTC day) or an RFC 3339 date-time; both ends are inclusive.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from aggregates.money import parse_amount
from aggregates.public_events import PUBLIC_TYPES
from aggregates.transitions import REMARKS, Status
from app.http.output_schemas import PO_STATUSES, open_enum
from app.http.schemas import no_nul, storable_text
from projections.po_search import MAX_WORD, words
from projections.po_summary import SORTS
from projections.spend import GROUPS
from projections.store import utc_text

MAX_LIMIT = 200
DEFAULT_LIMIT = 50


_YEAR = "(?:1[0-9]{3}|[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])"
_DAY = _YEAR + "-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
_TIME = "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,6})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
#: What a date bound may be, as the OpenAPI document states it: a date or an
#: RFC 3339 date-time with an offset, in years 1000-9998 (so that no bound,
#: moved to UTC or to "just after", leaves the calendar).
BOUND_PATTERN = f"^{_DAY}(?:{_TIME})?$"


class Bound(fields.Field):
    """A date or an RFC 3339 date-time, loaded as UTC text for comparisons.

    `upper=True` gives an EXCLUSIVE bound just after what the client named
    (the next midnight for a date, one microsecond later for a date-time), so
    "to=2026-01-31" includes all of that day.
    """

    default_error_messages = {"invalid": "must be a date (YYYY-MM-DD) or an RFC 3339 date-time with an offset "
                                         "(YYYY-MM-DDTHH:MM:SS[.ffffff]Z or +HH:MM), in years 1000-9998"}

    def __init__(self, *, upper: bool = False, **kwargs: Any):
        # The schema the document shows: the pattern, and the formats that say
        # the day must exist (2026-02-30 matches the pattern but is no date);
        # typed branches, so a generated client takes a date or a datetime.
        metadata = {"type": "string", "pattern": BOUND_PATTERN, "minLength": 10, "maxLength": 32,
                    "anyOf": [{"type": "string", "format": "date"},
                              {"type": "string", "format": "date-time"}], **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
        self.upper = upper

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str) or re.fullmatch(BOUND_PATTERN, value) is None:
            raise self.make_error("invalid")
        moment, whole_day = _moment(value)
        if moment is None:
            raise self.make_error("invalid")
        if self.upper:
            try:
                moment += timedelta(days=1) if whole_day else timedelta(microseconds=1)
            except OverflowError:  # 9999-12-31: there is no "just after" it
                raise self.make_error("invalid") from None
        return utc_text(moment)


def _moment(text: str) -> tuple[datetime | None, bool]:
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC), True
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None, False
    if moment.tzinfo is None:
        return None, False
    try:
        return moment.astimezone(UTC), False
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        return None, False


#: Far above any PO total (100 lines x 10,000 x MAX_UNIT_PRICE), and its cents fit a signed 64-bit integer.
MAX_AMOUNT = Decimal("1000000000000000.00")


#: A money bound as the document states it: digits (at most 15 before the point, or MAX_AMOUNT) and
#: at most 2 decimals.
AMOUNT_PATTERN = "^(?:[0-9]{1,15}(?:\\.[0-9]{1,2})?|1000000000000000(?:\\.0{1,2})?)$"


class Amount(fields.Field):
    """A money bound: a decimal string, at least 0, at most 2 decimals; loads as cents."""

    default_error_messages = {"invalid": f"must be a decimal amount (at least 0, at most {MAX_AMOUNT}, "
                                         f"at most 2 decimals)"}

    def __init__(self, **kwargs: Any):
        super().__init__(metadata={"type": "string", "pattern": AMOUNT_PATTERN, "example": "1250.00",
                                   **kwargs.pop("metadata", {})}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        amount = parse_amount(value) if isinstance(value, str) and re.fullmatch(AMOUNT_PATTERN, value) else None
        # The bound must fit the read models' 64-bit integer cents column.
        if amount is None or not 0 <= amount <= MAX_AMOUNT:
            raise self.make_error("invalid")
        return int(amount.scaleb(2))


def _text(maximum: int = 200, **kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(1, maximum), no_nul], **kwargs)


class ReadQuery(Schema):
    """What every read-model endpoint accepts."""

    class Meta:
        unknown = RAISE

    min_position = fields.Integer(validate=validate.Range(0, 2**62), metadata={
        "description": "wait up to 2 s until the read model has reached this position (an Event-Position)"})


#: How every list's cursor is spelt: URL-safe base64 (no padding) of a JSON object that starts `{"k":`.
CURSOR_PATTERN = "^eyJrIjo[A-Za-z0-9_-]+$"
#: How a trace's cursors are spelt: the same, of an object that starts `{"t":`.
TRACE_CURSOR_PATTERN = "^eyJ0Ijo[A-Za-z0-9_-]+$"
#: How a PO's history and timeline cursors are spelt: the same, of an object that starts `{"v":`.
STEP_CURSOR_PATTERN = "^eyJ2Ijo[A-Za-z0-9_-]+$"


class PageQuery(ReadQuery):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(1, 1000), metadata={
        "pattern": CURSOR_PATTERN, "description": "the next_cursor of the previous page, as it was given: "
        "opaque, and valid only with the same filters and sort"})

    @validates("cursor")
    def _cursor_spelling(self, value: str, **_: Any) -> None:
        if re.fullmatch(CURSOR_PATTERN, value) is None:
            raise ValidationError("not a cursor of this list with these filters and sort; start again without it")


#: The longest `q`, and the most words (terms) it may hold.
MAX_QUERY, MAX_TERMS = 200, 8
NO_TERMS = "has no letters or digits to search for"
TOO_MANY_TERMS = f"has more than {MAX_TERMS} words; search with fewer"
SEARCH_DESCRIPTION = (
    "search: the POs with a word starting with each word of `q` (every one must match) in the title, a "
    "line's description or SKU, the supplier reference, the tracking number or the requester. Words are "
    "runs of letters and digits, compared lowercase (`AC-100` finds `AC-10003`), each cut to "
    f"{MAX_WORD} characters. At least one word and at most {MAX_TERMS}, else 422 on /q. No relevance "
    "ranking: `sort` orders the matches")


class PurchaseOrderListQuery(PageQuery):
    status = fields.List(fields.String(validate=validate.OneOf([s.value for s in Status])),
                         metadata={"description": "repeat or comma-separate for any of several"})
    department = _text()
    supplier_id = _text()
    requester = _text()
    created_from = Bound()
    created_to = Bound(upper=True)
    min_total = Amount()
    max_total = Amount()
    q = _text(MAX_QUERY, metadata={"description": SEARCH_DESCRIPTION})
    # Names for the values a generated client's enum can use (-total: TOTAL_DESCENDING).
    sort = fields.String(load_default="-created_at", validate=validate.OneOf(list(SORTS)), metadata={
        "x-enum-varnames": [name.lstrip("-").upper() + ("_DESCENDING" if name.startswith("-") else "_ASCENDING")
                            for name in SORTS]})

    @validates("q")
    def _terms(self, value: str, **_: Any) -> None:
        found = words(value)
        if not found:
            raise ValidationError(NO_TERMS)
        if len(found) > MAX_TERMS:
            raise ValidationError(TOO_MANY_TERMS)

    @validates_schema
    def _ranges(self, data: dict[str, Any], **_: Any) -> None:
        if "min_total" in data and "max_total" in data and data["min_total"] > data["max_total"]:
            raise ValidationError("must not be below min_total", "max_total")
        if "created_from" in data and "created_to" in data and data["created_from"] >= data["created_to"]:
            raise ValidationError("must not be before created_from", "created_to")


class ApprovalQueueQuery(PageQuery):
    pass


class ChoicesQuery(ReadQuery):
    """GET /purchase-orders/choices takes only min_position."""


#: The feed's page size: default and most; and the longest long poll, in seconds.
FEED_DEFAULT_LIMIT, FEED_MAX_LIMIT, FEED_MAX_WAIT = 100, 500, 30


class EventFeedQuery(Schema):
    """GET /events: where to continue, what to select, how long to wait."""

    class Meta:
        unknown = RAISE

    after = fields.String(validate=validate.Length(1, 1000), metadata={
        "pattern": CURSOR_PATTERN, "description": "the next_cursor of a previous page, as it was given "
        "(opaque; valid with any filters); without it the feed starts at the org's first event"})
    type = fields.List(fields.String(validate=validate.OneOf(PUBLIC_TYPES)),
                       metadata={"description": "only events of these types: repeat or comma-separate"})
    po_id = fields.UUID(metadata={"description": "only events of this purchase order"})
    limit = fields.Integer(load_default=FEED_DEFAULT_LIMIT, validate=validate.Range(1, FEED_MAX_LIMIT))
    wait = fields.Integer(load_default=0, validate=validate.Range(0, FEED_MAX_WAIT), metadata={
        "description": "seconds to wait for a matching event when none follows `after` yet (long poll)"})

    @validates("after")
    def _cursor_spelling(self, value: str, **_: Any) -> None:
        if re.fullmatch(CURSOR_PATTERN, value) is None:
            raise ValidationError(FEED_CURSOR_INVALID)


TRACE_CURSOR_INVALID = "not a cursor of this trace; start again without it"
STEP_CURSOR_INVALID = "not a cursor of this purchase order's pages; start again without it"
FEED_CURSOR_INVALID = "not a cursor of the event feed; pass a next_cursor as it was given, or start without it"


class PeriodQuery(ReadQuery):
    # `from` is a Python keyword: the attribute is `since`, the parameter `from`.
    since = Bound(data_key="from")
    before = Bound(upper=True, data_key="to")

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        if "since" in data and "before" in data and data["since"] >= data["before"]:
            raise ValidationError("must not be before from", "to")


class SpendQuery(PeriodQuery):
    group_by = fields.String(load_default="department", validate=validate.OneOf(list(GROUPS)))
    department = _text(metadata={"description": "only POs of this department (exact)"})
    supplier_id = _text(metadata={"description": "only POs with this supplier (exact)"})


class CycleTimesQuery(PeriodQuery):
    department = _text()


def _storable(value: str) -> None:
    if "\x00" not in value and not storable_text(value):  # a NUL is no_nul's error, said once
        raise ValidationError("must be text without unpaired surrogates")


#: A trace's page of events: default and most.
TRACE_LIMIT, TRACE_MAX_LIMIT = 100, 200


class TraceQuery(ReadQuery):
    """GET /trace: the one id to look for, and where its page starts."""

    id = fields.String(required=True, validate=[validate.Length(1, 200), no_nul, _storable], metadata={
        "description": "a PO id, request id, correlation or causation id, Idempotency-Key, callback "
                       "webhook-id, operation id, supplier reference, tracking number or public event id"})
    limit = fields.Integer(load_default=TRACE_LIMIT, validate=validate.Range(1, TRACE_MAX_LIMIT), metadata={
        "description": f"at most this many events (default {TRACE_LIMIT})"})
    cursor = fields.String(validate=validate.Length(1, 1000), metadata={
        "pattern": TRACE_CURSOR_PATTERN, "description": "next_cursor of the previous page, as it was given: "
        "the later events of this trace"})

    @validates("cursor")
    def _cursor_spelling(self, value: str, **_: Any) -> None:
        if re.fullmatch(TRACE_CURSOR_PATTERN, value) is None:
            raise ValidationError(TRACE_CURSOR_INVALID)


class ProjectionsQuery(Schema):
    class Meta:
        unknown = RAISE


class VersionQuery(Schema):
    """GET /purchase-orders/{id}: time travel (parsed by the view, documented here)."""

    class Meta:
        unknown = RAISE

    version = fields.Integer(validate=validate.Range(1, 10**18 - 1),
                             metadata={"description": "the PO as it stood at this version"})


#: A PO's history and timeline, page by page: the default page sizes. A page
#: also stops before 1 MiB (app.service.support.MAX_PAGE_BYTES).
HISTORY_LIMIT = 50
TIMELINE_LIMIT = 20


class StepPageQuery(Schema):
    """A page of a PO's history or timeline, newest first."""

    class Meta:
        unknown = RAISE

    cursor = fields.String(validate=validate.Length(1, 4000), metadata={
        "pattern": STEP_CURSOR_PATTERN, "description": "next_cursor of the previous page, as it was given: "
        "the older steps of this purchase order"})

    @validates("cursor")
    def _cursor_spelling(self, value: str, **_: Any) -> None:
        if re.fullmatch(STEP_CURSOR_PATTERN, value) is None:
            raise ValidationError(STEP_CURSOR_INVALID)


class HistoryQuery(StepPageQuery):
    limit = fields.Integer(load_default=HISTORY_LIMIT, validate=validate.Range(1, MAX_LIMIT), metadata={
        "description": f"at most this many events (default {HISTORY_LIMIT}); a page also stops before 1 MiB"})


class TimelineQuery(StepPageQuery):
    limit = fields.Integer(load_default=TIMELINE_LIMIT, validate=validate.Range(1, MAX_LIMIT), metadata={
        "description": f"at most this many steps (default {TIMELINE_LIMIT}); a page also stops before 1 MiB"})


# --- what the endpoints send ---------------------------------------------------

_MONEY = {"description": "money: decimal string, 2 places"}
_TIME = {"format": "date-time"}


class OrderFactsOut(Schema):
    """What every read-model item says about a PO."""

    id = fields.String(required=True)
    org = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True, metadata=open_enum("PurchaseOrderStatus", PO_STATUSES))
    total = fields.String(required=True, metadata=_MONEY)
    currency = fields.String(required=True)
    supplier_id = fields.String(required=True)
    department = fields.String(allow_none=True, required=True)
    requester = fields.String(required=True)
    needed_by = fields.String(required=True, metadata={"format": "date"})
    version = fields.Integer(required=True)
    created_at = fields.String(required=True, metadata=_TIME)


#: A list item: the PO document's fields but its lines (the remarks too, as
#: the transition table names them).
OrderSummaryOut = OrderFactsOut.from_dict({
    "updated_at": fields.String(required=True, metadata=_TIME),
    **{name: fields.String(allow_none=True, required=True) for name in REMARKS},
    "supplier_reference": fields.String(allow_none=True, required=True),
    "tracking_number": fields.String(allow_none=True, required=True),
    "operation_id": fields.String(allow_none=True, required=True),
    "allowed_actions": fields.List(fields.String(), required=True),
}, name="OrderSummaryOut")


class OrderPageOut(Schema):
    items = fields.List(fields.Nested(OrderSummaryOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ChoicesOut(Schema):
    departments = fields.List(fields.String(), required=True, metadata={
        "description": "the distinct departments of the POs you may see, in order (at most 200)"})
    suppliers = fields.List(fields.String(), required=True, metadata={
        "description": "the suppliers this server is configured for: every supplier_id a PO may name"})
    truncated = fields.Boolean(required=True, metadata={"description": "more departments exist than are listed"})


class QueueItemOut(OrderFactsOut):
    submitted_at = fields.String(required=True, metadata=_TIME)


class QueuePageOut(Schema):
    items = fields.List(fields.Nested(QueueItemOut), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class SpendGroupOut(Schema):
    group = fields.String(allow_none=True, required=True)
    currency = fields.String(required=True)
    approved_total = fields.String(required=True, metadata=_MONEY)
    approved_count = fields.Integer(required=True)
    placed_total = fields.String(required=True, metadata=_MONEY)
    placed_count = fields.Integer(required=True)


class SpendOut(Schema):
    group_by = fields.String(required=True)
    groups = fields.List(fields.Nested(SpendGroupOut), required=True)


class CycleBucketOut(Schema):
    le_hours = fields.Integer(allow_none=True, required=True,
                              metadata={"description": "the bucket's inclusive upper bound; null: longer"})
    count = fields.Integer(required=True)


class CycleTimesOut(Schema):
    count = fields.Integer(required=True)
    p50_hours = fields.Float(allow_none=True, required=True)
    p90_hours = fields.Float(allow_none=True, required=True)
    max_hours = fields.Float(allow_none=True, required=True)
    percentile_method = fields.String(required=True)
    histogram = fields.List(fields.Nested(CycleBucketOut), required=True)


class ProjectionOut(Schema):
    name = fields.String(required=True)
    position = fields.Integer(required=True)
    head = fields.Integer(required=True)
    lag = fields.Integer(required=True)
    updated_at = fields.String(allow_none=True, required=True, metadata=_TIME)


class ProjectionsOut(Schema):
    head = fields.Integer(required=True)
    projections = fields.List(fields.Nested(ProjectionOut), required=True)
