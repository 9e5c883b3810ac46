"""scripts/bench_scale: how command throughput grows with API processes, and
the ceiling the event store's write lock sets on appends.

1. Creates through `procura serve --workers N` (N = 1, 2, 4; BENCH_THREADS,
   default 8, threads each), wrk with BENCH_CLIENTS (default 16) clients,
   all three servers up at once and measured in interleaved rounds.
2. Appends straight into the store with W = 1, 2, 4, 8 concurrent writers
   (processes, each with its own connection pool), two ways, interleaved:
   - `app save`: Procura's command service executing a create (key lookup,
     domain, the save function with its command record), no HTTP;
   - `save function`: the save function alone, one statement per event
     (the database's side of a save: the events table's EXCLUSIVE lock,
     the event, the record, NOTIFY).
   Every save takes the same table lock, so appends are serialised however
   many writers there are: events/s stops growing once the lock (or the
   CPU) is saturated.

Needs `wrk` and PostgreSQL (PROCURA_BENCH_PG_URL, default the local server).
On a machine with few cores the CPU saturates first; docs/operators/scaling.md says
how to read the figures.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from app.http.auth import mint_token
from benchmarks.commands import FRESH_KEYS, SECRET, scratch_database, server, wrk
from testkit.server import UNTHROTTLED

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
API_PROCESSES = (1, 2, 4)
WRITERS = (1, 2, 4, 8)


def _create_command(n: int, writer: int):
    from aggregates.policy import Principal
    from aggregates.purchase_order import Draft, Line
    from app.service.command_service import Command
    from app.service.idempotency import fingerprint

    key = f"scale-{writer}-{n}-{uuid.uuid4().hex[:8]}"
    draft = Draft(f"Scale {n}", "acme", "EUR", date.today() + timedelta(days=30),
                  (Line("SKU", "thing", 1, Decimal("1.00")),))
    return Command(Principal(f"writer-{writer}", "bench", frozenset({"requester"}), "eng"), "create", key,
                   fingerprint(method="POST", route="create", path_params={}, body=key, if_match=None),
                   key, key, None, None, {"content": draft})


def _app_saver(url: str, writer: int):
    """A function making one create through the command service (one event)."""
    from app.bootstrap import build_services
    from app.config import Settings
    from app.http.render import HttpRenderer

    services = build_services(Settings(database_url=url, jwt_secret=SECRET, webhook_secrets={"acme": "whsec_" + "x" * 32}))
    renderer, count = HttpRenderer(), iter(range(10**9))

    def save() -> None:
        reply = services.commands.execute(_create_command(next(count), writer), renderer)
        assert reply.status == 201, reply.body
    return save


def _function_saver(url: str, writer: int):
    """A function calling the save function once (one event and its record)."""
    import psycopg
    from psycopg.types.json import Jsonb

    from benchmarks.floor_app import SAVE, TOPIC

    conn = psycopg.connect(url, autocommit=True)
    state = b'{"org":"bench","title":"Scale"}'

    def save() -> None:
        key = uuid.uuid4()
        conn.execute(SAVE, (key, 1, TOPIC, state, "bench", f"writer-{writer}", str(key), "-", 201,
                            Jsonb({}), b"{}", datetime.now(UTC)), prepare=True)
    return save


SAVERS = {"app save": _app_saver, "save function": _function_saver}


def _writer(kind: str, url: str, writer: int, ready, start, stop_at, results) -> None:
    save = SAVERS[kind](url, writer)
    save()  # connections open, statements prepared
    ready.put(writer)
    start.wait()
    done, latencies = 0, []
    while (now := time.monotonic()) < stop_at.value:
        save()
        latencies.append(time.monotonic() - now)
        done += 1
    results.put((done, latencies))


def appends(kind: str, url: str, writers: int) -> dict[str, float]:
    """Events/s and per-save latency with `writers` processes saving for SECONDS."""
    context = multiprocessing.get_context("spawn")  # no pool or connection crosses a fork
    ready, start, results = context.Queue(), context.Event(), context.Queue()
    stop_at = context.Value("d", float("inf"))
    processes = [context.Process(target=_writer, args=(kind, url, w, ready, start, stop_at, results))
                 for w in range(writers)]
    for process in processes:
        process.start()
    for _ in processes:  # each has imported, connected and saved once
        ready.get(timeout=120)
    load = os.getloadavg()[0]
    stop_at.value = time.monotonic() + SECONDS
    start.set()
    gathered = [results.get(timeout=SECONDS + 60) for _ in processes]
    for process in processes:
        process.join(30)
    saves = sum(done for done, _ in gathered)
    latencies = sorted(latency for _, values in gathered for latency in values)
    return {"events": saves / SECONDS, "p50": latencies[len(latencies) // 2] * 1000,
            "p99": latencies[int(len(latencies) * 0.99)] * 1000, "load": load}


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench_scale needs wrk (apt-get install wrk)")
    token = mint_token(SECRET, sub="bench", org="bench", roles=["requester"], department="eng")
    python = sys.executable
    api: dict[int, list[dict[str, float]]] = {}
    store: dict[tuple[str, int], list[dict[str, float]]] = {}
    import benchmarks.commands as commands

    commands.SECONDS = int(SECONDS)
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(f"bench_scale_{uuid.uuid4().hex[:6]}"))
        env = {"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET, **UNTHROTTLED}
        bases = {n: stack.enter_context(server(
            [python, "-m", "app.cli", "serve", "--workers", str(n), "--threads", str(THREADS)], env,
            "/purchase-orders")) for n in API_PROCESSES}
        for _ in range(ROUNDS):
            for n, base in bases.items():  # interleaved: the machine's drifts hit all alike
                load = os.getloadavg()[0]
                api.setdefault(n, []).append({**wrk(base, "/purchase-orders", CLIENTS, FRESH_KEYS, token),
                                              "load": load})
        stack.close()  # the servers stop before the writers run
        url = stack.enter_context(scratch_database(f"bench_scale_{uuid.uuid4().hex[:6]}"))
        _prepare(url)
        for _ in range(ROUNDS):
            for writers in WRITERS:
                for kind in SAVERS:
                    store.setdefault((kind, writers), []).append(appends(kind, url, writers))
    report(api, store)


def _prepare(url: str) -> None:
    """The schema, as `procura serve` would prepare it."""
    from app.bootstrap import build_services
    from app.config import Settings

    build_services(Settings(database_url=url, jwt_secret=SECRET, webhook_secrets={"acme": "whsec_" + "x" * 32})).close()


def report(api, store) -> None:
    def med(runs, field):
        return statistics.median(r[field] for r in runs)

    cores = os.cpu_count()
    print(f"{cores} cores; {ROUNDS} interleaved rounds of {SECONDS:.0f}s, medians; "
          f"load = 1-min load average when the run began")
    print(f"\ncreates through procura serve (HAProxy, N granian workers x {THREADS} threads), wrk {CLIENTS} clients")
    print(f"{'API processes':>13} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'load':>6} {'vs 1':>6}")
    one = med(api[1], "rps")
    for n, runs in api.items():
        print(f"{n:13} {med(runs, 'rps'):8.0f} {med(runs, 'p50'):8.2f} {med(runs, 'p99'):8.2f} "
              f"{med(runs, 'non2xx'):8.0f} {med(runs, 'load'):6.2f} {med(runs, 'rps') / one:6.2f}")
    print("\nappends straight into the store, W concurrent writer processes (one event per save)")
    print(f"{'saving':14} {'writers':>7} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'load':>6} {'vs 1':>6}")
    for kind in SAVERS:
        one = med(store[(kind, 1)], "events")
        for writers in WRITERS:
            runs = store[(kind, writers)]
            print(f"{kind:14} {writers:7} {med(runs, 'events'):9.0f} {med(runs, 'p50'):8.2f} "
                  f"{med(runs, 'p99'):8.2f} {med(runs, 'load'):6.2f} {med(runs, 'events') / one:6.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
