"""scripts/bench_support: what finding things costs on a small store and on
a large one, through a real `procura serve` and `procura worker` on
PostgreSQL: p50/p99 of a trace (Find) by each kind of id, the list's text
filter, the timeline's first page, the PO list, the spend and cycle-time
reports; and the largest answer of each. The goal: each at BENCH_LARGE
events within 1.5x its time at BENCH_SMALL, and no answer over 1 MiB.

Stores are grown through the application's save path (testkit.stores.
grow_stories: whole stories, placed and shipped, ten events each, with the
metadata each step's request would stamp; BENCH_STORIES_PER_SAVE stories,
default 200, in one save), then
the worker builds every read model before anything is timed. Sizes:
BENCH_SMALL (default 10,000 events) and BENCH_LARGE (default 1,000,000);
BENCH_SAMPLES requests per figure and store (default 200), in BENCH_ROUNDS
rounds (default 5) that alternate between the two stores. The search (`q=`, docs/integrators/api.md
"Search") is timed by a title's words and by the supplier reference and the
tracking number a person on the phone holds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from urllib.parse import urlencode

import psycopg
import requests

from app.bootstrap import build_services
from app.config import Settings
from app.http.auth import mint_token
from testkit import stores
from testkit.pg import temporary_database
from testkit.server import ROOT, running_server, wait_until

SECRET = "bench-support-secret-" + "x" * 40
ORG = "bench"
SMALL = int(os.environ.get("BENCH_SMALL", "10000"))
LARGE = int(os.environ.get("BENCH_LARGE", "1000000"))
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "200"))
#: Rounds the samples are spread over, alternating between the two stores.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
#: Stories saved together while growing: the same events as one save per step, sooner.
PER_SAVE = int(os.environ.get("BENCH_STORIES_PER_SAVE", "200"))
MIB = 1024 * 1024
AUDITOR = {"Authorization": "Bearer " + mint_token(SECRET, sub="erin", org=ORG, roles=["auditor", "analyst"])}


@contextmanager
def worker(url: str):
    """`procura worker` on `url`, stopped afterwards."""
    env = {**os.environ, "DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET}
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=30)


def grow(url: str, events: int) -> list[stores.Story]:
    services = build_services(Settings(database_url=url, jwt_secret=SECRET))
    try:
        started = time.perf_counter()
        count = max(1, events // stores.STORY_EVENTS)
        sampled = stores.grow_stories(services.event_store, count, ORG, every=max(1, count // 20), per_save=PER_SAVE)
        print(f"grew {services.event_store.head_position()} events in {time.perf_counter() - started:.0f} s")
        return sampled
    finally:
        services.close()


def caught_up(base: str) -> bool:
    status = requests.get(base + "/projections", headers=AUDITOR, timeout=30).json()
    return all(p["lag"] == 0 for p in status["projections"])


def paths(stories: list[stores.Story]) -> dict[str, list[str]]:
    """Each figure's requests, cycling over the sampled stories."""
    def trace(attribute: str) -> list[str]:
        return [f"/trace?{urlencode({'id': getattr(s, attribute)})}" for s in stories]

    return {
        **{f"find by {name}": trace(name) for name in ("po_id", "operation_id", "idempotency_key", "request_id",
                                                      "correlation_id", "supplier_reference", "tracking_number")},
        "search by title": [f"/purchase-orders?{urlencode({'q': s.title})}" for s in stories],
        **{f"search by {name}": [f"/purchase-orders?{urlencode({'q': getattr(s, name)})}" for s in stories]
           for name in ("supplier_reference", "tracking_number")},
        "timeline, first page": [f"/purchase-orders/{s.po_id}/timeline" for s in stories],
        "PO list": ["/purchase-orders"],
        "spend report": ["/reports/spend"],
        "cycle-time report": ["/reports/cycle-times"],
    }


def timed(base: str, requests_of: list[str], count: int, offset: int) -> tuple[list[float], int]:
    """`count` requests' times (seconds) and the largest answer's size."""
    session, times, largest = requests.Session(), [], 0
    for n in range(offset, offset + count):
        started = time.perf_counter()
        answer = session.get(base + requests_of[n % len(requests_of)], headers=AUDITOR, timeout=60)
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
        largest = max(largest, len(answer.content))
    return times, largest


@contextmanager
def store_of(events: int):
    """(base URL, sampled stories) of a server on a store grown to `events`,
    its read models caught up and its tables vacuumed and analysed (as
    autovacuum leaves them), so that neither store is timed while the
    database still digests the bulk build."""
    with temporary_database() as url:
        stories = grow(url, events)
        env = {"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET}
        with running_server(env, workers=2) as base, worker(url):
            started = time.perf_counter()
            wait_until(lambda: caught_up(base), timeout=3600, interval=1.0, what="read models to catch up")
            print(f"read models caught up in {time.perf_counter() - started:.0f} s")
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM (ANALYZE)")
            yield base, stories


def main() -> None:
    figures: dict[str, dict[int, dict]] = {}
    with store_of(SMALL) as (small_base, small_stories), store_of(LARGE) as (large_base, large_stories):
        stores_by_size = {SMALL: (small_base, paths(small_stories)), LARGE: (large_base, paths(large_stories))}
        per_round = max(1, SAMPLES // ROUNDS)
        # Rounds interleave the two stores (and swap which goes first) so that
        # the machine's drift over the run falls on both alike.
        for round_number in range(ROUNDS):
            order = (SMALL, LARGE) if round_number % 2 == 0 else (LARGE, SMALL)
            for size in order:
                base, requests_by_label = stores_by_size[size]
                for label, requests_of in requests_by_label.items():
                    times, largest = timed(base, requests_of, per_round, round_number * per_round)
                    entry = figures.setdefault(label, {}).setdefault(size, {"times": [], "largest": 0})
                    entry["times"] += times
                    entry["largest"] = max(entry["largest"], largest)
    print(f"| what | p50 at {SMALL:,} | p50 at {LARGE:,} | ratio | p99 at {LARGE:,} | largest answer | goal |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for label, by_size in figures.items():
        small, large = (sorted(by_size[size]["times"]) for size in (SMALL, LARGE))
        small_p50, large_p50 = statistics.median(small) * 1000, statistics.median(large) * 1000
        large_p99, largest = large[int(0.99 * (len(large) - 1))] * 1000, by_size[LARGE]["largest"]
        ratio = large_p50 / small_p50
        met = ratio <= 1.5 and largest <= MIB
        print(f"| {label} | {small_p50:.1f} ms | {large_p50:.1f} ms | {ratio:.2f}x | "
              f"{large_p99:.1f} ms | {largest / 1000:.0f} kB | {'met' if met else 'MISSED'} |")


if __name__ == "__main__":
    main()
