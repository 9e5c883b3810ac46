"""Benchmark: rebuild speed of each read model against a raw batched loop.

Creates a scratch PostgreSQL database, writes N events (default 100 000) of
purchase orders going through their lifecycle, then measures, in the same
run and over the same events:

- raw: SELECT a batch of stored events, INSERT one row per event into a
  table, advance a tracking row, COMMIT; repeat (no decoding, no logic);
- each read model's `rebuild` (decode events, fold, upsert, switch).

and prints events/s for each and the ratio rebuild/raw (target >= 0.5).
The machine's speed drifts (other processes, PostgreSQL's own housekeeping),
so the measurements are interleaved in rounds (raw, then every model, again)
and each round's ratios use that round's raw figure; the summary gives the
median per model.
Run: `scripts/bench_projections [--events N] [--rounds R] [--admin-url postgresql://...]`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
import uuid
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit

import psycopg

from aggregates.purchase_order import Draft, Line, PurchaseOrder
from app.bootstrap import build_services
from app.config import Settings
from projections.maintenance import rebuild
from projections.tables import ReadModel

BATCH = 2000
DEPARTMENTS = ("eng", "ops", "sales", "finance", None)


def _database(admin_url: str, name: str) -> str:
    return urlunsplit(urlsplit(admin_url)._replace(path="/" + name))


def _draft(rng: random.Random, n: int) -> Draft:
    lines = tuple(Line(f"SKU-{rng.randrange(500)}", "item", rng.randint(1, 20),
                       Decimal(rng.randint(100, 500_000)).scaleb(-2)) for _ in range(rng.randint(1, 4)))
    return Draft(f"Order {n}", "acme", rng.choice(("EUR", "USD")), date(2099, 1, 1), lines)


def _lifecycle(rng: random.Random, n: int, placements: bool = True) -> PurchaseOrder:
    po = PurchaseOrder.draft(org=f"org-{rng.randrange(3)}", requester=f"user-{rng.randrange(40)}",
                             department=rng.choice(DEPARTMENTS), content=_draft(rng, n))
    if rng.random() < 0.2:
        po.revise(_draft(rng, n))
    if rng.random() < 0.1:
        return po
    po.submit()
    if rng.random() < 0.2:
        po.reject("no budget")
        return po
    po.approve()
    if rng.random() < 0.3 or not placements:
        return po
    po.place(uuid.uuid4())
    po.confirm_placement(f"ACME-{n}")
    if rng.random() < 0.5:
        po.receive()
    return po


def write_events(app, total: int, seed: int = 7, *, placements: bool = True) -> int:
    """Save POs until at least `total` events exist; returns the count.
    Without `placements` no PO is sent to a supplier (tests running the
    placement worker alongside want no supplier calls)."""
    rng, written, pending, n = random.Random(seed), 0, [], 0
    while written < total:
        po = _lifecycle(rng, n, placements)
        n += 1
        written += po.version
        pending.append(po)
        if len(pending) >= 500:
            app.save(*pending)
            pending = []
    if pending:
        app.save(*pending)
    return written


def raw_loop(url: str, batch: int = BATCH) -> tuple[int, float]:
    """The baseline: batched SELECT + INSERT with a tracking row; (events, seconds)."""
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw, bench_tracking")
        conn.execute("CREATE TABLE bench_raw (position BIGINT PRIMARY KEY, originator_id TEXT, "
                     "version INTEGER, topic TEXT, size INTEGER)")
        conn.execute("CREATE TABLE bench_tracking (name TEXT PRIMARY KEY, position BIGINT)")
        conn.execute("INSERT INTO bench_tracking VALUES ('raw', 0)")
        conn.commit()
        started, position, count = time.perf_counter(), 0, 0
        while True:
            with conn.transaction(), conn.cursor() as cur:
                cur.execute("SELECT notification_id, originator_id, originator_version, topic, state "
                            "FROM procura_events WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
                            (position, batch))
                rows = cur.fetchall()
                if not rows:
                    break
                cur.execute("UPDATE bench_tracking SET position = %s WHERE name = 'raw'", (rows[-1][0],))
                cur.executemany("INSERT INTO bench_raw VALUES (%s, %s, %s, %s, %s)",
                                [(r[0], str(r[1]), r[2], r[3], len(r[4])) for r in rows])
            position, count = rows[-1][0], count + len(rows)
        return count, time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--admin-url", default=os.environ.get("PROCURA_TEST_PG_URL",
                                                              "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args(argv)
    name = f"procura_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = _database(args.admin_url, name)
    try:
        _run(url, args.events, args.rounds)
    finally:
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _line(label: str, events: int, seconds: float, ratio: float | None = None) -> str:
    text = f"{label:<24} {events:>8,} events {seconds:7.2f} s {events / seconds:>10,.0f} events/s"
    return text if ratio is None else f"{text}   ratio {ratio:.2f}"


def _run(url: str, events: int, rounds: int) -> None:
    services = build_services(Settings(database_url=url, jwt_secret="x" * 40, db_pool_size=2))
    try:
        started = time.perf_counter()
        written = write_events(services.event_store, events)
        print(f"wrote {written:,} events in {time.perf_counter() - started:.1f} s")
        models = [p for p in services.processors if isinstance(p, ReadModel)]
        rates: dict[str, list[float]] = {"raw": []}
        ratios: dict[str, list[float]] = {m.name: [] for m in models}
        for number in range(1, rounds + 1):
            print(f"round {number}")
            count, seconds = raw_loop(url)
            rates["raw"].append(count / seconds)
            print(_line("raw SELECT+INSERT loop", count, seconds))
            for model in models:
                started = time.perf_counter()
                rebuild(services.event_store, services.read_store, model, batch_size=BATCH)
                seconds = time.perf_counter() - started
                rates.setdefault(model.name, []).append(written / seconds)
                ratios[model.name].append(written / seconds / rates["raw"][-1])
                print(_line("rebuild " + model.name, written, seconds, ratios[model.name][-1]))
        print(f"medians of {rounds} rounds (target: ratio >= 0.5)")
        print(f"{'raw SELECT+INSERT loop':<24} {statistics.median(rates['raw']):>10,.0f} events/s")
        for model in models:
            print(f"{'rebuild ' + model.name:<24} {statistics.median(rates[model.name]):>10,.0f} events/s"
                  f"   ratio {statistics.median(ratios[model.name]):.2f}")
    finally:
        services.close()


if __name__ == "__main__":
    main()
