"""scripts/bench_following: what the projection worker costs while it
follows the API live, against what it costs catching up on the same kind
of events, and what it takes from the API on one host.

Each round (BENCH_ROUNDS, default 3), on one scratch PostgreSQL database,
`procura serve` (BENCH_WORKERS x BENCH_THREADS, limits off) and one
`procura worker`:

1. alone: the worker is paused (SIGSTOP), creates from wrk (8 clients,
   BENCH_SECONDS, default 8): the API's throughput without the worker.
2. catching up: the worker resumes (SIGCONT) and applies that backlog:
   its CPU per event (/proc), from resuming until every read model has
   reached the head.
3. following: creates from wrk as in 1 with the worker following live:
   the API's throughput beside it, and the worker's CPU per event from the
   start of the run until it has caught up with the run's last event.

Then the worker's CPU per event while following paced creates at 0.5, 1
and 2 times the ceiling of ONE API process (measured first with
`procura serve --workers 1`), each for BENCH_SECONDS.

Ratios are taken within a round, medians reported: following/catching-up
CPU per event (goal <= 2) and creates with the worker following / alone
(goal >= 0.6). Needs wrk and PostgreSQL (PROCURA_BENCH_PG_URL).
"""

from __future__ import annotations

import os
import shutil
import signal
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import psycopg

import benchmarks.commands as commands
from app.http.auth import mint_token
from benchmarks.commands import FRESH_KEYS, SECRET, scratch_database, server, wrk
from benchmarks.cpu import TICK_SECONDS, process_ticks
from benchmarks.visibility import paced_load, worker
from testkit.server import UNTHROTTLED, wait_until

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
PACED = (0.5, 1.0, 2.0)


def head(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT COALESCE(MAX(notification_id), 0) FROM procura_events").fetchone()[0]


def lowest_tracked(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT COALESCE(MIN(position), 0) FROM procura_tracking").fetchone()[0]


def caught_up(conn: psycopg.Connection, timeout: float = 300) -> int:
    """Wait until every processor has reached the store's head; that head."""
    target = head(conn)
    wait_until(lambda: lowest_tracked(conn) >= target, timeout, interval=0.01, what="the worker to catch up")
    return target


def cpu_seconds(pid: int) -> float:
    return (process_ticks(pid) or 0) * TICK_SECONDS


def round_of(base: str, token: str, conn: psycopg.Connection, pid: int) -> dict[str, float]:
    os.kill(pid, signal.SIGSTOP)
    start = head(conn)
    alone = wrk(base, "/purchase-orders", 8, FRESH_KEYS, token)["rps"]
    backlog = head(conn) - start
    cpu = cpu_seconds(pid)
    os.kill(pid, signal.SIGCONT)
    caught_up(conn)
    catch_up_us = (cpu_seconds(pid) - cpu) * 1e6 / max(backlog, 1)

    start, cpu = head(conn), cpu_seconds(pid)
    following = wrk(base, "/purchase-orders", 8, FRESH_KEYS, token)["rps"]
    events = caught_up(conn) - start
    follow_us = (cpu_seconds(pid) - cpu) * 1e6 / max(events, 1)
    return {"alone": alone, "following": following, "catch_up_us": catch_up_us, "follow_us": follow_us,
            "backlog": backlog, "events": events}


def paced(base: str, token: str, conn: psycopg.Connection, pid: int, rate: float) -> dict[str, float]:
    caught_up(conn)
    start, cpu = head(conn), cpu_seconds(pid)
    counts = {"sent": 0, "non2xx": 0}
    for thread in paced_load(base, token, rate, time.monotonic() + SECONDS, counts):
        thread.join()
    events = caught_up(conn) - start
    return {"rate": rate, "offered": counts["sent"] / SECONDS, "follow_us": (cpu_seconds(pid) - cpu) * 1e6 / max(events, 1)}


def one_process_ceiling(env: dict[str, str], token: str) -> float:
    serve = [sys.executable, "-m", "app.cli", "serve", "--workers", "1", "--threads", str(THREADS)]
    with server(serve, env, "/purchase-orders") as base:
        return wrk(base, "/purchase-orders", 8, FRESH_KEYS, token)["rps"]


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench_following needs wrk (apt-get install wrk)")
    commands.SECONDS = SECONDS
    token = mint_token(SECRET, sub="loader", org="bench", roles=["requester"], department="eng")
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(f"bench_follow_{uuid.uuid4().hex[:6]}"))
        env = {"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET, **UNTHROTTLED}
        ceiling = one_process_ceiling(env, token)
        serve = [sys.executable, "-m", "app.cli", "serve", "--workers", str(WORKERS), "--threads", str(THREADS)]
        base = stack.enter_context(server(serve, env, "/purchase-orders"))
        process = stack.enter_context(worker(env))
        stack.callback(os.kill, process.pid, signal.SIGCONT)  # never stop a paused worker
        conn = stack.enter_context(psycopg.connect(url, autocommit=True))
        wait_until(lambda: conn.execute("SELECT count(*) FROM procura_tracking").fetchone()[0] > 0, 60,
                   what="the worker to start")
        rounds = [round_of(base, token, conn, process.pid) for _ in range(ROUNDS)]
        paced_runs = [paced(base, token, conn, process.pid, ceiling * f) for f in PACED]
    report(ceiling, rounds, paced_runs)


def report(ceiling: float, rounds: list[dict[str, float]], paced_runs: list[dict[str, float]]) -> None:
    print(f"procura serve {WORKERS}x{THREADS} + procura worker, creates from wrk (8 clients, {SECONDS}s)")
    print(f"{'round':>5} {'alone/s':>8} {'following/s':>11} {'ratio':>6} {'catch-up us/event':>17} "
          f"{'following us/event':>18} {'ratio':>6}")
    for i, r in enumerate(rounds, 1):
        print(f"{i:5} {r['alone']:8.0f} {r['following']:11.0f} {r['following'] / r['alone']:6.2f} "
              f"{r['catch_up_us']:17.0f} {r['follow_us']:18.0f} {r['follow_us'] / r['catch_up_us']:6.2f}")
    throughput = statistics.median(r["following"] / r["alone"] for r in rounds)
    cost = statistics.median(r["follow_us"] / r["catch_up_us"] for r in rounds)
    print(f"creates with the worker following / alone: median {throughput:.2f} (goal >= 0.6)")
    print(f"worker CPU per event following / catching up: median {cost:.2f} (goal <= 2)")
    print(f"one API process's ceiling: {ceiling:.0f} creates/s; the worker following paced creates:")
    for r in paced_runs:
        print(f"  {r['rate'] / ceiling:.1f}x ({r['offered']:.0f}/s offered): {r['follow_us']:.0f} us CPU per event")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
