"""The public event contract: which domain events an org's clients see, under
which type name, and which of their fields (docs/integrators/events.md).

Declared as data next to the events, once: the feed (`GET /events`), and
whatever later sends events out, build the public form from these rows
(projections/public_events.py), and start-up refuses an event class that has
neither a row here nor a place in INTERNAL (app/http/declarations.py).

Version rule: within a type, changes are additive only (a new field in
`data`, never a removed, renamed or retyped one; subscribers must ignore
fields they do not know). A change that would break a subscriber is a new
type name with a version suffix (`purchase_order.approved.v2`), sent beside
the old one until the old one is retired with notice.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PublicEvent:
    """One client-visible event: its aggregate and class name, its public
    `type`, the event's attributes its `data` shows (by name), and what it
    means, in a sentence, for the documentation."""

    aggregate: str
    event: str
    type: str
    fields: tuple[str, ...]
    meaning: str


_CONTENT = ("title", "supplier_id", "currency", "needed_by", "lines")


def _po(event: str, type_: str, fields: tuple[str, ...], meaning: str) -> PublicEvent:
    return PublicEvent("PurchaseOrder", event, f"purchase_order.{type_}", fields, meaning)


PUBLIC_EVENTS: tuple[PublicEvent, ...] = (
    _po("Created", "created", ("requester", "department", *_CONTENT), "A requester drafted a new purchase order."),
    _po("Revised", "revised", _CONTENT, "The draft's content was replaced."),
    _po("Submitted", "submitted", (), "The draft was submitted for approval."),
    _po("Approved", "approved", (), "An approver approved it."),
    _po("Rejected", "rejected", ("reason",), "An approver rejected it, giving a reason."),
    _po("ChangesRequested", "changes_requested", ("comment",),
        "An approver sent it back to draft, asking for changes."),
    _po("Reopened", "reopened", (), "A rejected or cancelled purchase order was reopened as a draft."),
    _po("Cancelled", "cancelled", ("reason",), "Its requester cancelled it, giving a reason."),
    _po("PlacementRequested", "placement_requested", ("operation_id",),
        "A buyer asked for it to be placed with the supplier (an operation tracks the attempt)."),
    _po("Placed", "placed", ("supplier_reference",), "The supplier accepted the order."),
    _po("PlacementFailed", "placement_failed", ("reason",), "The supplier declined the order, or placing it failed."),
    _po("Shipped", "shipped", ("supplier_reference", "tracking_number"), "The supplier shipped the order."),
    _po("Received", "received", (), "A buyer recorded the goods as received."),
)

#: Event classes deliberately kept from clients, by (aggregate, event), with why.
#: An operation's progress is read at /operations/{id}; its outcome reaches
#: clients as purchase_order.placed or purchase_order.placement_failed.
INTERNAL: dict[tuple[str, str], str] = {
    ("Operation", "Created"): "never recorded: an operation begins with Requested",
    ("Operation", "Requested"): "operations are tracked at /operations/{id}",
    ("Operation", "AttemptStarted"): "an attempt's start is internal progress",
    ("Operation", "Succeeded"): "the client sees purchase_order.placed",
    ("Operation", "Failed"): "the client sees purchase_order.placement_failed",
}

#: Public type name -> its declaration.
BY_TYPE: dict[str, PublicEvent] = {p.type: p for p in PUBLIC_EVENTS}
#: (aggregate, event class name) -> its declaration.
BY_EVENT: dict[tuple[str, str], PublicEvent] = {(p.aggregate, p.event): p for p in PUBLIC_EVENTS}
#: Every public type, in the order the documentation lists them.
PUBLIC_TYPES: tuple[str, ...] = tuple(p.type for p in PUBLIC_EVENTS)
