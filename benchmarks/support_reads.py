"""What the support reads cost: `GET /trace` (found in the support index,
projections/support_index.py) and `GET /purchase-orders/{id}/timeline` (one
PO), through the routes (Flask's test client: no network), in a scratch
PostgreSQL database (PROCURA_TEST_PG_URL names the server). Run it with
`python -m benchmarks.support_reads [POS]`; figures go in docs/developers/performance.md.
"""

from __future__ import annotations

import json
import statistics
import sys
import time

from aggregates.purchase_order import PurchaseOrder
from app.bootstrap import build_services, create_app
from app.config import Settings
from app.http.auth import mint_token
from testkit import stores
from testkit.pg import temporary_database

SECRET = "benchmark-secret-that-is-long-enough-for-hs256-0123456789"
ORG = "bench"
ROUNDS = 5
LONG_EVENTS = 200
#: The read model traces are answered from (absent from releases before it).
INDEX = "support_index"


def _fill(services, pos: int) -> PurchaseOrder:
    """`pos` submitted POs (two events each) and one PO revised up to 200 events."""
    stores.grow(services.event_store, pos, ORG)
    long = PurchaseOrder.draft(org=ORG, requester="someone", department="eng", content=stores.draft("long"))
    for n in range(LONG_EVENTS - 1):
        long.revise(stores.draft(f"long {n}"))
    services.event_store.save(long)
    return long


def _index(services) -> None:
    """The worker's part: the support index catches up with the store (timed)."""
    started = time.perf_counter()
    for follower in services.followers():
        if follower.processor.name == INDEX:
            follower.catch_up()
            print(f"support index built from position 0: {time.perf_counter() - started:.1f} s")


def _median_seconds(work) -> float:
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _get(client, path: str, auth: dict) -> bytes:
    answer = client.get(path, headers=auth)
    assert answer.status_code == 200, answer.get_json()
    return answer.data


def main(pos: int) -> None:
    with temporary_database() as url:
        services = build_services(Settings(database_url=url, jwt_secret=SECRET))
        try:
            started = time.perf_counter()
            long = _fill(services, pos)
            print(f"events in the store: {services.event_store.head_position()} "
                  f"(grown in {time.perf_counter() - started:.1f} s)")
            _index(services)
            client = create_app(services=services).test_client()
            auth = {"Authorization": "Bearer " + mint_token(SECRET, sub="erin", org=ORG, roles=["auditor"])}
            for label, value in (("trace, an id nothing was written under", "never-used"),
                                 ("trace, a PO id (200 events)", str(long.id)),
                                 ("trace, the requester's name (no id)", "someone")):
                path = f"/trace?id={value}"
                seconds = _median_seconds(lambda p=path: _get(client, p, auth))
                events = len(json.loads(_get(client, path, auth))["events"])
                print(f"{label}: median {seconds * 1000:.1f} ms, {events} events on the first page")
            timeline = f"/purchase-orders/{long.id}/timeline"
            seconds = _median_seconds(lambda: _get(client, timeline, auth))
            size = len(_get(client, timeline, auth))
            print(f"timeline of a 200-event PO, first page: median {seconds * 1000:.1f} ms, "
                  f"{size / 1000:.0f} kB of JSON")
        finally:
            services.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
