"""What the support reads cost: `GET /trace` (a scan of the whole event
store) and `GET /purchase-orders/{id}/timeline` (one PO), in a scratch
PostgreSQL database (PROCURA_TEST_PG_URL names the server). Run it with
`python -m benchmarks.support_reads [POS]`; figures go in docs/performance.md.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from aggregates.purchase_order import PurchaseOrder
from app.bootstrap import build_services
from app.config import Settings
from app.http.read_schemas import TIMELINE_LIMIT
from app.tools import support
from testkit import stores
from testkit.pg import temporary_database

SECRET = "benchmark-secret-that-is-long-enough-for-hs256-0123456789"
ORG = "bench"
ROUNDS = 5
LONG_EVENTS = 200


def _fill(services, pos: int) -> PurchaseOrder:
    """`pos` submitted POs (two events each) and one PO revised up to 200 events."""
    stores.grow(services.app, pos, ORG)
    long = PurchaseOrder.draft(org=ORG, requester="someone", department="eng", content=stores.draft("long"))
    for n in range(LONG_EVENTS - 1):
        long.revise(stores.draft(f"long {n}"))
    services.app.save(long)
    return long


def _median_seconds(work) -> float:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main(pos: int) -> None:
    with temporary_database() as url:
        services = build_services(Settings(database_url=url, jwt_secret=SECRET))
        try:
            long = _fill(services, pos)
            print(f"events in the store: {services.app.head_position()}")
            for label, value in (("trace, an id nothing was written under", "never-used"),
                                 ("trace, a PO id (200 events)", str(long.id)),
                                 ("trace, text in every event (all decoded)", "someone")):
                seconds = _median_seconds(lambda v=value: support.trace(services.app, ORG, v))
                print(f"{label}: median {seconds * 1000:.0f} ms")
            po = services.app.purchase_order(long.id)
            def first_page():
                return support.timeline(services.app, services.read_store, ORG, po, TIMELINE_LIMIT,
                                        support.first_timeline_bound(po))[0]

            seconds = _median_seconds(first_page)
            size = len(json.dumps(first_page()))
            print(f"timeline of a 200-event PO, first page: median {seconds * 1000:.0f} ms, "
                  f"{size / 1000:.0f} kB of JSON")
        finally:
            services.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
