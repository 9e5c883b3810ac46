"""Request and answer shapes of the webhook endpoints' routes (docs/webhooks.md)."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from aggregates.public_events import PUBLIC_TYPES
from app.http.read_schemas import CURSOR_PATTERN
from app.http.schemas import StrictSchema, no_nul
from app.webhooks.guard import MAX_URL_LENGTH, URL_PATTERN, URL_RULE

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
                           "description": "public event types (docs/events.md) to send; empty: every type"},
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
