"""scripts/bench_reads: `GET /purchase-orders` (status + department filter,
newest first, 50 a page) through Procura's real server next to a bare Flask
app running the same indexed SELECT on the same rows
(benchmarks/read_baseline_app.py), same gunicorn settings, same machine,
same run, interleaved rounds, medians. Also Procura without its edge
(gunicorn alone), to show what HAProxy in front of granian costs or saves a read.

The rows are written straight into the PO summary read model (a
generate_series INSERT: BENCH_POS rows, default 30,000, in about a second),
as the worker would have left them. Needs `wrk` and PostgreSQL
(PROCURA_BENCH_PG_URL, default the local server).
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import psycopg
import requests

from app.http.auth import mint_token
from benchmarks.commands import SECRET, median_of, print_runs, run_wrk, scratch_database, server
from testkit.server import UNTHROTTLED

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
POS = int(os.environ.get("BENCH_POS", "30000"))
CONCURRENCY = tuple(int(c) for c in os.environ.get("BENCH_CLIENTS", "1,8").split(","))
QUERY = "/purchase-orders?status=approved&status=submitted&department=eng&sort=-created_at&limit=50"

#: Statuses and departments cycle independently, so the filter keeps about
#: a tenth of the rows and every page is a full one.
SEED = """
INSERT INTO rm_po_summary (id, org, title, status, total_cents, currency, supplier_id, department, requester,
    needed_by, version, created_at, updated_at, rejection_reason, cancellation_reason, supplier_reference,
    tracking_number, operation_id, search, position)
SELECT md5(i::text)::uuid::text, 'bench', 'Bench order ' || i,
       (ARRAY['draft','submitted','approved','rejected','placed'])[1 + i %% 5],
       1000 + (i * 37) %% 100000, 'EUR', 'acme', (ARRAY['eng','ops','sales','legal'])[1 + (i / 5) %% 4],
       'user' || (i %% 50), '2031-01-01', 2, t, t, NULL, NULL, NULL, NULL, NULL, 'bench order ' || i || E'\\nsku-a', i
FROM generate_series(1, %(n)s) AS i,
     LATERAL (SELECT to_char(timestamp '2026-01-01' + i * interval '1 minute',
                             'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t) AS times
"""


def seed(url: str, count: int) -> float:
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SEED, {"n": count})
        conn.execute("ANALYZE rm_po_summary")
    return time.perf_counter() - started


def same_page(procura: str, baseline: str, procura_token: str, baseline_token: str) -> None:
    """Stop unless both servers list the same POs in the same order."""
    def ids(base: str, token: str) -> list[str]:
        answer = requests.get(base + QUERY, headers={"Authorization": f"Bearer {token}"}, timeout=10)
        answer.raise_for_status()
        return [item["id"] for item in answer.json()["items"]]

    mine, theirs = ids(procura, procura_token), ids(baseline, baseline_token)
    if mine != theirs or len(mine) != 50:
        sys.exit(f"bench_reads: the servers disagree ({len(mine)} vs {len(theirs)} items)")


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench_reads needs wrk (apt-get install wrk)")
    # A buyer reads the whole org (one visibility clause), as an analyst or admin would.
    token = mint_token(SECRET, sub="bench", org="bench", roles=["buyer"], department="eng")
    python = sys.executable
    lua = f'request = function() return wrk.format("GET", "{QUERY}") end\n'
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    loads: list[float] = []
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(f"bench_reads_{uuid.uuid4().hex[:6]}"))
        serve = [python, "-m", "app.cli", "serve", "--workers", str(WORKERS), "--threads", str(THREADS)]
        procura_env = {"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET, **UNTHROTTLED}
        procura = stack.enter_context(server(serve, procura_env, "/purchase-orders"))
        seconds = seed(url, POS)
        print(f"seeded {POS:,} POs into the PO summary in {seconds:.1f} s")
        bare = stack.enter_context(server(serve, {**procura_env, "PROCURA_EDGE": "none"}, "/purchase-orders"))
        baseline = stack.enter_context(server(
            [python, "-m", "gunicorn", "-w", str(WORKERS), "--threads", str(THREADS), "-k", "gthread",
             "benchmarks.read_baseline_app:app"], {"DATABASE_URL": url, "BENCH_JWT_SECRET": SECRET},
            "/purchase-orders"))
        same_page(procura, baseline, token, token)
        runs = (("procura list", procura), ("baseline select", baseline), ("procura, no edge", bare))
        for _ in range(ROUNDS):
            for clients in CONCURRENCY:
                for kind, base in runs:  # interleaved: the machine's drifts hit all alike
                    loads.append(os.getloadavg()[0])
                    results.setdefault((kind, clients), []).append(
                        run_wrk(base, clients, min(clients, 4), lua, token))
    report(results, loads)


def report(results, loads: list[float]) -> None:
    from benchmarks.commands import SECONDS

    median = median_of(results)

    print(f"GET {QUERY}")
    print(f"{POS:,} POs; procura serve (HAProxy in front of granian) and gunicorn {WORKERS} workers x {THREADS} threads, "
          f"PostgreSQL, {SECONDS}s per run, {ROUNDS} interleaved rounds (medians); "
          f"1-min load average during the runs {min(loads):.2f}-{max(loads):.2f}")
    print_runs(results)
    for clients in CONCURRENCY:
        rps = median("procura list", clients, "rps") / median("baseline select", clients, "rps")
        p99 = median("procura list", clients, "p99") / median("baseline select", clients, "p99")
        edge = median("procura list", clients, "rps") / median("procura, no edge", clients, "rps")
        print(f"{clients:2} clients: procura/baseline req/s {rps:.2f} (target >= 0.8), p99 {p99:.2f}; "
              f"behind HAProxy (granian) / gunicorn alone req/s {edge:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
