"""Event stores grown in bulk, straight through the application (no HTTP):
for the support reads' benchmarks and for tests that need reads slow enough
to hold a request slot (a trace decodes every event mentioning its id)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from aggregates.purchase_order import Draft, Line, PurchaseOrder

#: Every event `grow` writes mentions this text (its PO's requester), so a
#: trace of it decodes the whole grown store: the slowest trace there is.
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
