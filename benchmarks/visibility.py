"""scripts/bench_visibility: how long after a command's answer its effect
shows in `GET /purchase-orders`, at half the measured command ceiling.

1. The ceiling: creates through `procura serve` (wrk, 8 clients,
   BENCH_PROBE_SECONDS, default 5), with `procura worker` following.
2. Load at half that rate (BENCH_LOAD_FRACTION, default 0.5) (paced creates from BENCH_LOADERS threads) for
   BENCH_SECONDS (default 20), while a sampler creates one PO of its own
   every BENCH_SAMPLE_MS (default 100) and, from the moment the answer
   arrives, polls `GET /purchase-orders?limit=1` every BENCH_POLL_MS
   (default 5) until the list shows it: the answer's `Projection-Position`
   has reached the create's `Event-Position` and the sampler's newest PO is
   the one it made. The latency is answer -> the poll answer that shows it.
3. Step 2 runs twice per round (BENCH_ROUNDS, default 1), each time with a
   fresh `procura worker`: woken by LISTEN/NOTIFY (the default on
   PostgreSQL), then polling alone, as it does behind a transaction pooler
   (PROCURA_DB_POOLER=transaction, set for the worker only). With the
   NOTIFY worker it also runs once more with the sampler watching the PO
   summary's tracking row in PostgreSQL (every 1 ms) instead of the list:
   the worker's share of the figure, without the API's read path
   (BENCH_TRACKING=0 skips it).

Why poll rather than pass `min_position`: the server waits for a position
by checking it every 20 ms, which would round every figure up to that
step; a client poll every 5 ms measures the worker, not the wait loop.
Each figure includes up to one poll interval and one GET's round trip.
Needs `wrk` and PostgreSQL (PROCURA_BENCH_PG_URL, default the local server).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import requests

from app.http.auth import mint_token
from benchmarks.commands import BODY, FRESH_KEYS, SECRET, scratch_database, server, wrk
from testkit.server import UNTHROTTLED, stop

PROBE_SECONDS = int(os.environ.get("BENCH_PROBE_SECONDS", "5"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
LOADERS = int(os.environ.get("BENCH_LOADERS", "8"))
SAMPLE_MS = float(os.environ.get("BENCH_SAMPLE_MS", "100"))
POLL_MS = float(os.environ.get("BENCH_POLL_MS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
#: The share of the ceiling offered as load (0: the sampler alone).
LOAD_FRACTION = float(os.environ.get("BENCH_LOAD_FRACTION", "0.5"))
#: Also measure the worker's share alone: the sampler watches the PO
#: summary's tracking row instead of the list (BENCH_TRACKING=0: skip).
TRACKING = os.environ.get("BENCH_TRACKING", "1") != "0"
DEADLINE = 10.0  # a sample not visible by then counts as this


@contextmanager
def worker(env: dict[str, str]):
    """`procura worker` on the benchmark's database, stopped afterwards."""
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield process
    finally:
        stop(process)


def paced_load(base: str, token: str, rate: float, until: float, counts: dict[str, int]) -> list[threading.Thread]:
    """LOADERS threads sending creates at `rate` in all, on a fixed schedule
    (a late request is sent at once, not skipped), until `until`."""
    if rate <= 0:
        return []
    interval = LOADERS / rate

    def loader(offset: float) -> None:
        session = requests.Session()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        due = time.monotonic() + offset
        while due < until:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            answer = session.post(base + "/purchase-orders", data=BODY, timeout=30,
                                  headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
            counts["sent"] += 1
            counts["non2xx"] += answer.status_code >= 300
            due += interval

    threads = [threading.Thread(target=loader, args=(i * interval / LOADERS,), daemon=True) for i in range(LOADERS)]
    for thread in threads:
        thread.start()
    return threads


def sample(base: str, token: str, until: float) -> list[float]:
    """Visibility latencies (ms) of the sampler's own creates."""
    session = requests.Session()
    auth = {"Authorization": f"Bearer {token}"}
    latencies = []
    while time.monotonic() < until:
        started = time.monotonic()
        answer = session.post(base + "/purchase-orders", data=BODY, timeout=30,
                              headers={**auth, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
        answered = time.monotonic()
        po, position = answer.json()["id"], int(answer.headers["Event-Position"])
        while True:
            listed = session.get(base + "/purchase-orders?limit=1", headers=auth, timeout=30)
            seen = time.monotonic()
            items = listed.json()["items"]
            if int(listed.headers["Projection-Position"]) >= position and items and items[0]["id"] == po:
                break
            if seen - answered > DEADLINE:
                break
            time.sleep(POLL_MS / 1000)
        latencies.append((seen - answered) * 1000)
        time.sleep(max(0.0, SAMPLE_MS / 1000 - (time.monotonic() - started)))
    return latencies


def sample_tracking(url: str, token: str, base: str, until: float) -> list[float]:
    """As `sample`, but watching the PO summary's tracking row in PostgreSQL
    (every 1 ms) instead of the list: the worker's share alone, without the
    API's read path."""
    import psycopg

    session, auth = requests.Session(), {"Authorization": f"Bearer {token}"}
    latencies = []
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < until:
            started = time.monotonic()
            answer = session.post(base + "/purchase-orders", data=BODY, timeout=30, headers={
                **auth, "Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())})
            answered, position = time.monotonic(), int(answer.headers["Event-Position"])
            while True:
                reached = conn.execute("SELECT position FROM procura_tracking WHERE name = 'po_summary'").fetchone()[0]
                seen = time.monotonic()
                if reached >= position or seen - answered > DEADLINE:
                    break
                time.sleep(0.001)
            latencies.append((seen - answered) * 1000)
            time.sleep(max(0.0, SAMPLE_MS / 1000 - (time.monotonic() - started)))
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]  # nearest rank


#: How the worker learns of new events: LISTEN/NOTIFY (the default on
#: PostgreSQL), or polling alone, as behind a transaction pooler
#: (PROCURA_DB_POOLER=transaction, set for the worker only).
MODES = {"listen": {}, "poll only": {"PROCURA_DB_POOLER": "transaction"}}


def measure(base: str, rate: float, loader_token: str, sampler_token: str,
            tracking_url: str | None = None) -> dict[str, float]:
    """Load at `rate` and sample for SECONDS (watching the list, or the
    tracking row in `tracking_url`); latencies and what was offered."""
    counts = {"sent": 0, "non2xx": 0}
    started = time.monotonic()
    until = started + SECONDS
    loaders = paced_load(base, loader_token, rate - 1000 / SAMPLE_MS, until, counts)
    if tracking_url is None:
        latencies = sample(base, sampler_token, until)
    else:
        latencies = sample_tracking(tracking_url, sampler_token, base, until)
    for thread in loaders:
        thread.join()
    elapsed = time.monotonic() - started
    return {"p50": percentile(latencies, 50), "p90": percentile(latencies, 90), "p99": percentile(latencies, 99),
            "max": max(latencies), "samples": len(latencies), "offered": (counts["sent"] + len(latencies)) / elapsed,
            "non2xx": counts["non2xx"], "load": os.getloadavg()[0]}


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench_visibility needs wrk (apt-get install wrk)")
    loader_token = mint_token(SECRET, sub="loader", org="bench", roles=["requester"], department="eng")
    sampler_token = mint_token(SECRET, sub="sampler", org="bench", roles=["requester"], department="eng")
    python = sys.executable
    results: list[tuple[str, dict[str, float]]] = []
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(f"bench_vis_{uuid.uuid4().hex[:6]}"))
        env = {"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET, **UNTHROTTLED}
        serve = [python, "-m", "app.cli", "serve", "--workers", str(WORKERS), "--threads", str(THREADS)]
        base = stack.enter_context(server(serve, env, "/purchase-orders"))
        import benchmarks.commands as commands

        commands.SECONDS = PROBE_SECONDS
        with worker(env):
            load_before = os.getloadavg()[0]
            ceiling = wrk(base, "/purchase-orders", 8, FRESH_KEYS, loader_token)["rps"]
        rate = ceiling * LOAD_FRACTION
        print(f"command ceiling (creates, wrk 8 clients, {PROBE_SECONDS}s, worker following): {ceiling:.0f} req/s; "
              f"1-min load average {load_before:.2f}")
        for _ in range(ROUNDS):
            for mode, extra in MODES.items():  # interleaved: the machine's drifts hit both alike
                with worker({**env, **extra}):
                    sample(base, sampler_token, time.monotonic() + 1)  # the worker has caught up
                    results.append((mode, measure(base, rate, loader_token, sampler_token)))
                    if mode == "listen" and TRACKING:
                        results.append(("listen, tracking row", measure(base, rate, loader_token, sampler_token, url)))
    report(rate, results)


def report(rate: float, results: list[tuple[str, dict[str, float]]]) -> None:
    print(f"load: creates paced at {rate:.0f}/s ({LOAD_FRACTION:.0%} of the ceiling) for {SECONDS:.0f}s per run, "
          f"procura serve {WORKERS}x{THREADS} + procura worker; answer -> visible in GET /purchase-orders, "
          f"polled every {POLL_MS:.0f} ms")
    print(f"{'worker':20} {'offered/s':>9} {'samples':>7} {'p50 ms':>7} {'p90 ms':>7} {'p99 ms':>7} {'max ms':>7} "
          f"{'non-2xx':>7} {'load avg':>8}")
    for mode, r in results:
        print(f"{mode:20} {r['offered']:9.0f} {r['samples']:7.0f} {r['p50']:7.1f} {r['p90']:7.1f} {r['p99']:7.1f} "
              f"{r['max']:7.1f} {r['non2xx']:7.0f} {r['load']:8.2f}")
    for mode in dict.fromkeys(m for m, _ in results):
        p99 = statistics.median(r["p99"] for m, r in results if m == mode)
        print(f"{mode}: median p99 {p99:.1f} ms (target <= 100 ms)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
