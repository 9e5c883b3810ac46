"""Request and answer shapes of the webhook endpoints' routes (docs/integrators/webhooks.md)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from aggregates.public_events import PUBLIC_TYPES
from app.http.output_schemas import open_enum
from app.http.read_schemas import CURSOR_PATTERN
from app.http.schemas import StrictSchema, no_nul
from app.webhooks.guard import MAX_URL_LENGTH, URL_PATTERN, URL_RULE
from app.webhooks.outbox import STATES

MAX_DESCRIPTION = 500
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
CURSOR_INVALID = "not a cursor of this list with these filters and sort; start again without it"


class StrictBoolean(fields.Boolean):
    """true or false as JSON spells them; never "true", 1 or "yes"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


def _url(**kwargs: Any) -> fields.String:
    return fields.String(validate=[
        validate.Length(1, MAX_URL_LENGTH),
        validate.Regexp(URL_PATTERN, error=URL_RULE)], **kwargs)


def _types(**kwargs: Any) -> fields.List:
    return fields.List(fields.String(validate=validate.OneOf(PUBLIC_TYPES)),
                       validate=validate.Length(max=len(PUBLIC_TYPES)), metadata={
                           "description": "public event types (docs/integrators/events.md) to send; empty: every type"},
                       **kwargs)


def _description(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(0, MAX_DESCRIPTION), no_nul], **kwargs)


class EndpointIn(StrictSchema):
    """POST /webhook-endpoints."""

    url = _url(required=True)
    event_types = _types(load_default=list)
    description = _description(load_default="")
    enabled = StrictBoolean(load_default=True)


class EndpointChanges(StrictSchema):
    """PATCH /webhook-endpoints/{id}: the members given change, the others stay."""

    url = _url()
    event_types = _types()
    description = _description()
    enabled = StrictBoolean(metadata={"description": "true also forgets why the endpoint was disabled"})


class EndpointListQuery(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(1, 1000), metadata={
        "pattern": CURSOR_PATTERN, "description": "the next_cursor of the previous page, as it was given"})

    @validates("cursor")
    def _cursor_spelling(self, value: str, **_: Any) -> None:
        if re.fullmatch(CURSOR_PATTERN, value) is None:
            raise ValidationError(CURSOR_INVALID)


_TIME = {"format": "date-time"}


class EndpointOut(Schema):
    id = fields.UUID(required=True)
    url = fields.String(required=True)
    event_types = fields.List(fields.String(), required=True, metadata={"description": "empty: every type"})
    description = fields.String(required=True)
    enabled = fields.Boolean(required=True)
    disabled_reason = fields.String(required=True, allow_none=True, metadata={
        "description": "why Procura disabled it (410 Gone, failing for days); null when enabled or disabled by you"})
    failing_since = fields.String(required=True, allow_none=True, metadata={
        **_TIME, "description": "since when every attempt has failed; null after a success"})
    previous_secret_expires_at = fields.String(required=True, allow_none=True, metadata={
        **_TIME, "description": "after a rotation: until when the previous secret also signs"})
    created_at = fields.String(required=True, metadata=_TIME)
    updated_at = fields.String(required=True, metadata=_TIME)


class EndpointWithSecretOut(EndpointOut):
    secret = fields.String(required=True, metadata={
        "description": "the signing secret (whsec_...), shown only in this answer", "pattern": "^whsec_"})


class EndpointPageOut(Schema):
    items = fields.List(fields.Nested(EndpointOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={"pattern": CURSOR_PATTERN})


class DeliveryListQuery(EndpointListQuery):
    status = fields.List(fields.String(validate=validate.OneOf(STATES)), metadata={
        "description": "pending (to be sent or retried), delivered, failed (given up); repeat or comma-separate"})
    type = fields.List(fields.String(validate=validate.OneOf(PUBLIC_TYPES)), metadata={
        "description": "public event types; repeat or comma-separate"})


class Since(fields.Field):
    """A position (an integer, the events after it) or an RFC 3339 time with its offset."""

    default_error_messages = {"invalid": "a position (an integer from 0) or a time such as 2026-01-31T09:00:00Z"}

    def __init__(self, **kwargs: Any):
        super().__init__(metadata={"oneOf": [{"type": "integer", "minimum": 0, "maximum": 2**62},
                                             {"type": "string", "format": "date-time"}]}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> int | datetime:
        if isinstance(value, float) and value.is_integer():  # 3.0 is an integer to JSON Schema
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 2**62:
            return value
        if isinstance(value, str) and re.fullmatch(_RFC3339, value):
            try:
                return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
            except ValueError:
                pass
        raise self.make_error("invalid")


_RFC3339 = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})"


class ReplayIn(StrictSchema):
    """POST /webhook-endpoints/{id}/replay."""

    since = Since(required=True)


class DeliveryAttemptOut(Schema):
    number = fields.Integer(required=True)
    attempted_at = fields.String(required=True, metadata=_TIME)
    status = fields.Integer(required=True, allow_none=True, metadata={"description": "null: no answer"})
    latency_ms = fields.Integer(required=True)
    error = fields.String(required=True, allow_none=True)
    response = fields.String(required=True, allow_none=True, metadata={
        "description": "the first 1 KiB of the answer's body"})


class DeliveryOut(Schema):
    id = fields.String(required=True, metadata={"description": "the webhook-id every attempt carries"})
    event_id = fields.String(required=True)
    type = fields.String(required=True)
    po_id = fields.String(required=True)
    position = fields.Integer(required=True)
    status = fields.String(required=True, metadata=open_enum("DeliveryStatus", list(STATES)))
    attempts = fields.Integer(required=True)
    next_attempt_at = fields.String(required=True, allow_none=True, metadata=_TIME)
    last_status = fields.Integer(required=True, allow_none=True)
    last_error = fields.String(required=True, allow_none=True)
    last_attempt_at = fields.String(required=True, allow_none=True, metadata=_TIME)
    created_at = fields.String(required=True, metadata=_TIME)


class DeliveryWithAttemptsOut(DeliveryOut):
    attempt_log = fields.List(fields.Nested(DeliveryAttemptOut), required=True, metadata={
        "description": "every attempt, oldest first"})


class DeliveryPageOut(Schema):
    items = fields.List(fields.Nested(DeliveryOut), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={"pattern": CURSOR_PATTERN})


class ReplayOut(Schema):
    queued = fields.Integer(required=True, metadata={"description": "events queued (new or sent again)"})
    until_position = fields.Integer(required=True, metadata={"description": "the last position queued"})
    more = fields.Boolean(required=True, metadata={
        "description": "true: more events follow; replay again with since = until_position"})
