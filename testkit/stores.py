"""Event stores grown in bulk, straight through the application (no HTTP):
for the support reads' benchmarks and for tests that need a store of some
size. `grow` writes submitted POs; `grow_stories` writes POs that went the
whole way (placed, shipped), each with the ids a person may hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from aggregates.operation import Operation
from aggregates.purchase_order import Draft, Line, PurchaseOrder
from app.service.metadata import EventMetadata, recording_as

#: The requester of every PO `grow` writes.
EVERYWHERE = "someone"
_BATCH = 500


def draft(title: str) -> Draft:
    return Draft(title, "acme", "EUR", date(2099, 1, 1), (Line("SKU", "thing", 1, Decimal("1.00")),))


def grow(app, pos: int, org: str) -> None:
    """Save `pos` submitted POs of `org` (two events each) through `app`."""
    batch = []
    for n in range(pos):
        po = PurchaseOrder.draft(org=org, requester=EVERYWHERE, department="eng", content=draft(f"PO {n}"))
        po.submit()
        batch.append(po)
        if len(batch) == _BATCH:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)


@dataclass(frozen=True)
class Story:
    """The ids a person may hold of one PO `grow_stories` wrote."""

    po_id: str
    operation_id: str
    idempotency_key: str
    request_id: str
    correlation_id: str
    supplier_reference: str
    tracking_number: str


#: Events one story writes: seven of its PO's, three of its operation's.
STORY_EVENTS = 10


def _story(app, org: str, n: int) -> Story:
    """One PO created, submitted, approved, placed and shipped, and its
    operation, saved as the services would (one save per step, each under
    its request's metadata)."""
    ids = {"key": f"story-{org}-{n}", "correlation": f"corr-{org}-{n}"}
    po = PurchaseOrder.draft(org=org, requester=f"user{n % 50}", department="eng", content=draft(f"Story {n}"))
    operation = Operation(org=org, kind="placement", purchase_order_id=po.id)
    steps = [lambda: None, po.submit, po.approve, lambda: po.place(operation.id),
             lambda: (operation.start_attempt(), po.confirm_placement(f"AC-{n}"),
                      operation.succeed({"supplier_reference": f"AC-{n}"})),
             lambda: po.record_shipment(f"AC-{n}", f"1Z{n:010d}"), po.receive]
    for step, act in enumerate(steps):
        act()
        request = f"req-{org}-{n}-{step}"
        with recording_as(EventMetadata(f"user{n % 50}", f"{ids['key']}-{step}" if step else ids["key"],
                                        ids["correlation"], request)):
            app.save(po, operation) if step >= 3 else app.save(po)
    return Story(str(po.id), str(operation.id), ids["key"], f"req-{org}-{n}-0", ids["correlation"], f"AC-{n}",
                 f"1Z{n:010d}")


def grow_stories(app, count: int, org: str, every: int = 1000) -> list[Story]:
    """Save `count` whole stories of `org` (STORY_EVENTS events each); return
    the ids of every `every`th, for lookups."""
    return [story for n in range(count) if (story := _story(app, org, n)) and n % every == 0]
