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
from app.service.metadata import EventMetadata, rfc3339

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
    title: str


#: Events one story writes: seven of its PO's, three of its operation's.
STORY_EVENTS = 10


def _story(org: str, n: int) -> tuple[Story, list]:
    """One PO created, submitted, approved, placed and shipped, and its
    operation: the story's ids, and its events in the order the services
    save them (one save per step), each stamped with its request's metadata
    as a save under `recording_as` would stamp it."""
    ids = {"key": f"story-{org}-{n}", "correlation": f"corr-{org}-{n}"}
    po = PurchaseOrder.draft(org=org, requester=f"user{n % 50}", department="eng", content=draft(f"Story {n}"))
    operation = Operation(org=org, kind="placement", purchase_order_id=po.id)
    steps = [lambda: None, po.submit, po.approve, lambda: po.place(operation.id),
             lambda: (operation.start_attempt(), po.confirm_placement(f"AC-{n}"),
                      operation.succeed({"supplier_reference": f"AC-{n}"})),
             lambda: po.record_shipment(f"AC-{n}", f"1Z{n:010d}"), po.receive]
    events = []
    for step, act in enumerate(steps):
        act()
        request = f"req-{org}-{n}-{step}"
        meta = EventMetadata(f"user{n % 50}", f"{ids['key']}-{step}" if step else ids["key"], ids["correlation"],
                             request).as_dict()
        for event in [*po.collect_events(), *(operation.collect_events() if step >= 3 else ())]:
            object.__setattr__(event, "meta", {**meta, "occurred_at": rfc3339(event.timestamp)})
            events.append(event)
    story = Story(str(po.id), str(operation.id), ids["key"], f"req-{org}-{n}-0", ids["correlation"], f"AC-{n}",
                  f"1Z{n:010d}", f"Story {n}")
    return story, events


def grow_stories(app, count: int, org: str, every: int = 1000, per_save: int = 1) -> list[Story]:
    """Save `count` whole stories of `org` (STORY_EVENTS events each), the
    events of `per_save` stories in one save (1: each step its own save, as
    the services do; more: the same events in the same order, sooner);
    return the ids of every `every`th, for lookups."""
    sampled, events = [], []
    for n in range(count):
        story, written = _story(org, n)
        if n % every == 0:
            sampled.append(story)
        if per_save == 1:
            _save_by_step(app, written)
            continue
        events += written
        if (n + 1) % per_save == 0:
            app.save(*events)
            events = []
    if events:
        app.save(*events)
    return sampled


def _save_by_step(app, events: list) -> None:
    """Each request's events in a save of their own."""
    by_request: dict[str, list] = {}
    for event in events:
        by_request.setdefault(event.meta["causation_id"], []).append(event)
    for step in by_request.values():
        app.save(*step)
