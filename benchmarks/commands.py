"""scripts/bench_commands: Procura's write path under load next to a bare
baseline (Flask + psycopg-pool, one INSERT per POST) and a floor (the
baseline plus the database work of a create: benchmarks/floor_app.py), same
workers x threads, same machine, same run, interleaved rounds. Needs `wrk` and PostgreSQL
(PROCURA_BENCH_PG_URL, default the local server).

With `--tracing`: creates with OpenTelemetry tracing on (OTLP/HTTP to a sink
in this process, 10% of traces sampled) against the same server with
tracing off, interleaved; goal >= 0.9x req/s (docs/operators/tracing.md)."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg

from app.http.auth import mint_token
from benchmarks.cpu import TICK_SECONDS, tree_ticks
from testkit.pg import with_database
from testkit.server import UNTHROTTLED, free_port, wait_until

ADMIN_URL = os.environ.get("PROCURA_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-secret-" + "x" * 40
CONCURRENCY = (1, 8, 16)
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
BODY = ('{"title":"Bench","supplier_id":"acme","currency":"EUR","needed_by":"2031-01-01",'
        '"lines":[{"sku":"A","description":"a","quantity":1,"unit_price":"9.99"}]}')

#: Every script numbers wrk's threads (`tid`, 1-based) and counts its requests.
THREAD_IDS = """
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
"""

LUA = THREAD_IDS + """
request = function()
  counter = counter + 1
  local key = %s
  wrk.headers["Idempotency-Key"] = key
  return wrk.format("POST", "%s", nil, [[%s]])
end
"""


#: Submits each draft once: thread t of n takes drafts t, t+n, t+2n, ... (1-based).
SUBMIT_LUA = THREAD_IDS + """
local ids = {}
for line in io.lines("%(ids)s") do ids[#ids + 1] = line end
request = function()
  local index = counter * %(threads)d + tid
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "%(run)s-" .. index
  wrk.headers["If-Match"] = '"1"'
  return wrk.format("POST", "/purchase-orders/" .. (ids[index] or ids[1]) .. "/submit")
end
"""
#: Each server's process (its master: workers and HAProxy are its descendants), by base URL.
SERVER_PIDS: dict[str, int] = {}

#: Drafts prepared per submit run: well over what a run can submit, so none
#: repeats. wrk's threads do unequal shares and each takes every n-th draft,
#: so the busiest thread reaches further than the total count suggests.
DRAFTS_PER_SECOND = 1400


@contextmanager
def scratch_database(name: str):
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(ADMIN_URL, name)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def server(command: list[str], env: dict[str, str], health_path: str):
    import requests

    port = free_port()
    process = subprocess.Popen([*command, "--bind" if "gunicorn" in command[2] else "--port",
                                f"127.0.0.1:{port}" if "gunicorn" in command[2] else str(port)],
                               env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def up():
        try:
            return requests.post(base + health_path, data="{}", timeout=1,
                                 headers={"Content-Type": "application/json"}).status_code < 500
        except requests.ConnectionError:
            return False

    try:
        wait_until(up, timeout=30, what=f"{command} to start")
        SERVER_PIDS[base] = process.pid
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


#: A new key per request, unique across threads and runs.
FRESH_KEYS = '"{run}-" .. tid .. "-" .. counter'


def wrk(base: str, path: str, clients: int, key_expr: str, token: str | None) -> dict[str, float]:
    key_expr = key_expr.replace("{run}", uuid.uuid4().hex[:8])
    return run_wrk(base, clients, min(clients, 4), LUA % (key_expr, path, BODY), token)


def run_wrk(base: str, clients: int, threads: int, lua: str, token: str | None) -> dict[str, float]:
    """Run wrk with the Lua script `lua`; req/s, p50, p99 (ms), non-2xx count,
    and the server's CPU per request in µs (all its processes)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    headers = ["-H", "Content-Type: application/json"]
    if token:
        headers += ["-H", f"Authorization: Bearer {token}"]
    ticks_before = tree_ticks(SERVER_PIDS[base])
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{SECONDS}s", "--latency",
                          "-s", script.name, *headers, base], capture_output=True, text=True, check=True).stdout
    ticks = tree_ticks(SERVER_PIDS[base]) - ticks_before
    os.unlink(script.name)
    answered = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "cpu_us": ticks * TICK_SECONDS * 1e6 / max(answered, 1),
            "p50": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
            "p99": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
            "non2xx": float(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0.0}


def drafts(base: str, token: str, count: int) -> Path:
    """Create `count` drafts (16 threads) and write their ids to a file."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    session_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def create(n: int) -> str:
        headers = {**session_headers, "Idempotency-Key": f"draft-{uuid.uuid4()}"}
        return requests.post(base + "/purchase-orders", data=BODY, headers=headers, timeout=30).json()["id"]

    with ThreadPoolExecutor(16) as pool:
        ids = list(pool.map(create, range(count)))
    path = Path(tempfile.mkstemp(suffix=".ids")[1])
    path.write_text("\n".join(ids) + "\n")
    return path


def wrk_submit(base: str, clients: int, token: str) -> dict[str, float]:
    ids = drafts(base, token, DRAFTS_PER_SECOND * SECONDS)
    threads = min(clients, 4)
    script = SUBMIT_LUA % {"ids": ids, "threads": threads, "run": uuid.uuid4().hex[:8]}
    try:
        return run_wrk(base, clients, threads, script, token)
    finally:
        ids.unlink()


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("bench_commands needs wrk (apt-get install wrk)")
    if "--tracing" in sys.argv[1:]:
        tracing_main()
        return
    token = mint_token(SECRET, sub="bench", org="bench", roles=["requester"], department="eng")
    python = sys.executable
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with ExitStack() as stack:
        full_db = stack.enter_context(scratch_database(f"bench_full_{uuid.uuid4().hex[:6]}"))
        base_db = stack.enter_context(scratch_database(f"bench_base_{uuid.uuid4().hex[:6]}"))
        serve = [python, "-m", "app.cli", "serve", "--workers", str(WORKERS), "--threads", str(THREADS)]
        procura_env = {"DATABASE_URL": full_db, "PROCURA_JWT_SECRET": SECRET, **UNTHROTTLED}
        full = stack.enter_context(server(serve, procura_env, "/purchase-orders"))
        # The same server without its edge (gunicorn alone, as release 0.1.0
        # served): what HAProxy in front of granian costs or saves.
        bare = stack.enter_context(server(serve, {**procura_env, "PROCURA_EDGE": "none"}, "/purchase-orders"))
        baseline = stack.enter_context(server(
            [python, "-m", "gunicorn", "-w", str(WORKERS), "--threads", str(THREADS), "-k", "gthread",
             "benchmarks.baseline_app:app"], {"DATABASE_URL": base_db}, "/items"))
        floor = stack.enter_context(server(
            [python, "-m", "gunicorn", "-w", str(WORKERS), "--threads", str(THREADS), "-k", "gthread",
             "benchmarks.floor_app:app"], {"DATABASE_URL": full_db}, "/items"))
        fresh, repeated = FRESH_KEYS, '"replay-" .. (counter % 64)'
        wrk(full, "/purchase-orders", 4, repeated, token)  # record the repeated keys once
        creates = [("procura create", full), ("create, no edge", bare)]
        for round_index in range(ROUNDS):
            for clients in CONCURRENCY:
                # Interleaved, so that the machine's drifts hit all alike. The
                # two creates run back to back, each first in every other
                # round, so neither always follows the round before's
                # heaviest run.
                for kind, base in creates[::-1] if round_index % 2 else creates:
                    results.setdefault((kind, clients), []).append(
                        wrk(base, "/purchase-orders", clients, fresh, token))
                results.setdefault(("baseline insert", clients), []).append(
                    wrk(baseline, "/items", clients, fresh, None))
                results.setdefault(("procura replay", clients), []).append(
                    wrk(full, "/purchase-orders", clients, repeated, token))
                results.setdefault(("floor (db work)", clients), []).append(
                    wrk(floor, "/items", clients, fresh, None))
        for clients in CONCURRENCY:
            results.setdefault(("procura submit", clients), []).append(wrk_submit(full, clients, token))
    report(results)


#: What the traced server exports, and how much of it: the sampling a production deployment would use.
TRACING_ENV = {"OTEL_TRACES_SAMPLER": "parentbased_traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}


def tracing_main() -> None:
    """Creates on `procura serve` with tracing on at 10% sampling vs off,
    back to back in every round (the order alternating), on one database."""
    from testkit.otlp import OtlpReceiver

    token = mint_token(SECRET, sub="bench", org="bench", roles=["requester"], department="eng")
    serve = [sys.executable, "-m", "app.cli", "serve", "--workers", str(WORKERS), "--threads", str(THREADS)]
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with ExitStack() as stack:
        sink = stack.enter_context(OtlpReceiver(keep=False))
        db = stack.enter_context(scratch_database(f"bench_trace_{uuid.uuid4().hex[:6]}"))
        env = {"DATABASE_URL": db, "PROCURA_JWT_SECRET": SECRET, **UNTHROTTLED}
        runs = [("tracing off", stack.enter_context(server(serve, env, "/purchase-orders"))),
                ("tracing on, 10%", stack.enter_context(server(
                    serve, {**env, **TRACING_ENV, "OTEL_EXPORTER_OTLP_ENDPOINT": sink.url}, "/purchase-orders")))]
        for round_index in range(ROUNDS):
            for clients in CONCURRENCY:
                for kind, base in runs[::-1] if round_index % 2 else runs:
                    results.setdefault((kind, clients), []).append(
                        wrk(base, "/purchase-orders", clients, FRESH_KEYS, token))
    print(f"procura serve {WORKERS} workers x {THREADS} threads, PostgreSQL, {SECONDS}s per run, "
          f"{ROUNDS} interleaved rounds (medians); {sink.exports} OTLP exports received")
    print_runs(results)
    median = median_of(results)
    for clients in CONCURRENCY:
        rounds = paired_ratios(results, "tracing on, 10%", "tracing off", clients)
        cpu = median("tracing on, 10%", clients, "cpu_us"), median("tracing off", clients, "cpu_us")
        print(f"{clients:2} clients: tracing on (10%) / off: req/s {statistics.median(rounds):.2f} "
              f"(rounds {min(rounds):.2f}-{max(rounds):.2f}; goal >= 0.9); "
              f"server CPU per create {cpu[0]:.0f} / {cpu[1]:.0f} us ({cpu[0] / cpu[1]:.2f})")


def median_of(results):
    """`median(kind, clients, field)` over the rounds of `results`."""
    def median(kind, clients, field):
        return statistics.median(r[field] for r in results[(kind, clients)])
    return median


def paired_ratios(results, kind: str, other: str, clients: int) -> list[float]:
    """req/s of `kind` over `other` in each round: the two ran back to back,
    so the machine's drifts between rounds cancel out."""
    return [mine["rps"] / theirs["rps"]
            for mine, theirs in zip(results[(kind, clients)], results[(other, clients)], strict=True)]


def print_runs(results) -> None:
    """One line per (kind, clients): the medians of req/s, p50, p99 and non-2xx."""
    median = median_of(results)
    print(f"{'run':18} {'clients':>7} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for (kind, clients) in results:
        print(f"{kind:18} {clients:7} {median(kind, clients, 'rps'):9.0f} {median(kind, clients, 'p50'):8.2f} "
              f"{median(kind, clients, 'p99'):8.2f} {median(kind, clients, 'non2xx'):8.0f}")
    print()


def report(results) -> None:
    median = median_of(results)
    print(f"procura serve (HAProxy in front of granian) and gunicorn {WORKERS} workers x {THREADS} threads, "
          f"PostgreSQL, {SECONDS}s per run, "
          f"{ROUNDS} interleaved rounds (medians)")
    print_runs(results)
    for clients in CONCURRENCY:
        rps = median("procura create", clients, "rps") / median("baseline insert", clients, "rps")
        p99 = median("procura create", clients, "p99") / median("baseline insert", clients, "p99")
        replay = median("procura replay", clients, "rps") / median("procura create", clients, "rps")
        submit = median("procura submit", clients, "rps") / median("baseline insert", clients, "rps")
        submit_p99 = median("procura submit", clients, "p99") / median("baseline insert", clients, "p99")
        floor = median("floor (db work)", clients, "rps") / median("baseline insert", clients, "rps")
        edge = median("procura create", clients, "rps") / median("create, no edge", clients, "rps")
        edge_p99 = median("procura create", clients, "p99") / median("create, no edge", clients, "p99")
        edge_cpu = median("procura create", clients, "cpu_us"), median("create, no edge", clients, "cpu_us")
        rounds = paired_ratios(results, "procura create", "create, no edge", clients)
        print(f"{clients:2} clients: create behind HAProxy (granian) / gunicorn alone: req/s {edge:.2f}, p99 {edge_p99:.2f}; "
              f"server CPU per create {edge_cpu[0]:.0f} / {edge_cpu[1]:.0f} us ({edge_cpu[0] / edge_cpu[1]:.2f}); "
              f"req/s round by round: median {statistics.median(rounds):.2f}, "
              f"{min(rounds):.2f}-{max(rounds):.2f}")
        print(f"{clients:2} clients: create/baseline req/s {rps:.2f} (target >= 0.7), "
              f"p99 {p99:.2f} (target <= 2); submit/baseline req/s {submit:.2f}, p99 {submit_p99:.2f}; "
              f"replay/create req/s {replay:.2f} (target >= 1.5); floor/baseline req/s {floor:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
