"""The public events' documents as schemas: one per public type (the
OpenAPI document's `webhooks`, docs/integrators/events.md) and the feed's page.

Each type's `data` schema is made from the fields its declaration shows
(aggregates/public_events.py); FIELD_SCHEMAS says how each field is spelt,
so a declaration naming a field without one fails the start-up check.
"""

from __future__ import annotations

import re
from functools import cache

from marshmallow import INCLUDE, Schema, fields

from aggregates.public_events import PUBLIC_EVENTS, PublicEvent
from app.http.output_schemas import LineOut, open_enum

#: How each field a public form may show is spelt (all required; null where allowed).
FIELD_SCHEMAS: dict[str, fields.Field] = {
    "requester": fields.String(required=True, metadata={"description": "the requester's subject"}),
    "department": fields.String(required=True, allow_none=True),
    "title": fields.String(required=True),
    "supplier_id": fields.String(required=True),
    "currency": fields.String(required=True, metadata={"description": "ISO 4217 code"}),
    "needed_by": fields.String(required=True, metadata={"format": "date"}),
    "lines": fields.List(fields.Nested(LineOut), required=True),
    "reason": fields.String(required=True),
    "comment": fields.String(required=True),
    "operation_id": fields.String(required=True, metadata={"format": "uuid"}),
    "supplier_reference": fields.String(required=True),
    "tracking_number": fields.String(required=True),
}


class PublicEventOut(Schema):
    """What every public event says, whatever its type (docs/integrators/events.md).
    Open to members added later (the version rule: additive changes only)."""

    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True, metadata={
        "description": "stable and unique: the same in every delivery, replay and rebuild (a dedupe key)",
        "pattern": "^evt_[0-9a-f]{32}$"})
    type = fields.String(required=True, metadata=open_enum(
        "PublicEventType", [p.type for p in PUBLIC_EVENTS], "one of the types below; a later release may add types"))
    occurred_at = fields.String(required=True, metadata={"format": "date-time"})
    org = fields.String(required=True)
    po_id = fields.String(required=True, metadata={"format": "uuid"})
    po_version = fields.Integer(required=True, metadata={"description": "the PO's version after this event"})
    position = fields.Integer(required=True, metadata={"description": "the event's position in the store: "
                              "increases with every event, never reused"})
    correlation_id = fields.String(required=True, allow_none=True, metadata={
        "description": "the X-Correlation-Id (else the request id) of the request that recorded it"})
    data = fields.Dict(required=True, metadata={"description": "what this type shows (per type: `webhooks`)"})


class _OpenData(Schema):
    """A type's `data`: open to members added later, as the envelope is."""

    class Meta:
        unknown = INCLUDE


def schema_name(public: PublicEvent) -> str:
    """`purchase_order.changes_requested` -> `PurchaseOrderChangesRequestedEvent`."""
    return "".join(part.capitalize() for part in re.split(r"[._]", public.type)) + "Event"


@cache
def type_schemas() -> dict[str, type[Schema]]:
    """Public type -> the schema of its whole document (its `data` exactly)."""
    schemas = {}
    for public in PUBLIC_EVENTS:
        data = _OpenData.from_dict({name: FIELD_SCHEMAS[name] for name in public.fields},
                                   name=schema_name(public) + "Data")
        schemas[public.type] = type(schema_name(public), (PublicEventOut,), {
            "__doc__": public.meaning,
            "type": fields.String(required=True, metadata={"enum": [public.type]}),
            "data": fields.Nested(data, required=True)})
    return schemas


class EventPageOut(Schema):
    items = fields.List(fields.Nested(PublicEventOut), required=True)
    next_cursor = fields.String(required=True, metadata={
        "description": "where to continue: always given, also on the last page (pass it as `after` "
                       "to wait for, or poll for, what comes next)"})
