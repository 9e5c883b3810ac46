"""The public event contract: which domain events an org's clients see, under
which type name, and which of their fields (docs/integrators/events.md).

Declared as data, once: a purchase order's events with their commands
(aggregates/transitions.py, `shows` and `meaning`), the others here. The feed (`GET /events`), and
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

import re
from dataclasses import dataclass

from aggregates.transitions import DECLARED


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


def public_type(event: str) -> str:
    """`ChangesRequested` -> `purchase_order.changes_requested`."""
    return "purchase_order." + re.sub(r"(?<!^)(?=[A-Z])", "_", event).lower()


#: A purchase order's events, each declared with its command (aggregates/transitions.py).
PUBLIC_EVENTS: tuple[PublicEvent, ...] = tuple(
    PublicEvent("PurchaseOrder", row.event, public_type(row.event), row.shows, row.meaning)
    for row in DECLARED.values()
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
