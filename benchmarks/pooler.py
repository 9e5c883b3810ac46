"""scripts/bench_pooler: PostgreSQL's own CPU per command with and without
server-side prepared statements, and through a transaction-pooling PgBouncer.

Three configurations, each against a scratch database of its own:

1. Procura straight to PostgreSQL, `PROCURA_DB_POOLER=none` (the default:
   psycopg prepares the hot statements);
2. the same with `PROCURA_DB_POOLER=transaction` (nothing prepared): what
   the setting alone costs;
3. `PROCURA_DB_POOLER=transaction` through a private PgBouncer
   (testkit/pgbouncer.py, Debian's pgbouncer) in transaction pooling mode.

Each configuration runs in a process of its own that builds Procura's WSGI
app once, warms it up, then on each round sends N creates (fresh
Idempotency-Keys) and N replays (the same keys again) straight into the app
from a few threads (no gunicorn, no sockets). Rounds are interleaved (1, 2,
3, then again) so that the shared machine's drifts hit all three alike; the
summary gives medians.

PostgreSQL's CPU is the utime+stime (clock ticks of /proc/<pid>/stat) that
the scratch database's client backends (pids from pg_stat_activity, read
just before and just after each run) spent during the run, divided by the
commands; PgBouncer's own CPU is read the same way from its process. The
server must run on this machine. Also printed: the driving process's CPU
and its wall-clock requests per second.
Run: `scripts/bench_pooler [--requests N] [--rounds R] [--threads T]`.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import psycopg

from benchmarks.cpu import TICK_SECONDS, process_ticks
from testkit.pg import give_session_defaults

ROOT = Path(__file__).resolve().parent.parent
#: Creates (and their replays) before the first round: fills the pool and
#: lets psycopg prepare each statement on each connection (after 5 uses).
WARM_UP = 100
#: PgBouncer's server connections: more than the driving threads, so no
#: request waits for one and the comparison is of CPU, not of queueing.
BOUNCER_POOL_SIZE = 8


@dataclass(frozen=True)
class Configuration:
    label: str
    pooler: str
    through_bouncer: bool


CONFIGURATIONS = (
    Configuration("1 direct, prepared", "none", False),
    Configuration("2 direct, unprepared", "transaction", False),
    Configuration("3 PgBouncer, unprepared", "transaction", True),
)
COMMANDS = ("create", "replay")


# --- in the driving process (one per configuration) ---------------------------------------------

class BackendClock:
    """CPU ticks of the client backends serving one database."""

    def __init__(self, monitor_url: str, database: str):
        self.monitor = psycopg.connect(monitor_url, autocommit=True)
        self.database = database

    def ticks(self) -> dict[int, int]:
        pids = [pid for (pid,) in self.monitor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'",
            (self.database,))]
        found = {pid: process_ticks(pid) for pid in pids}
        return {pid: ticks for pid, ticks in found.items() if ticks is not None}


def _environ(key: str, body: bytes, token: str) -> dict:
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/purchase-orders", "SERVER_NAME": "bench", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json", "HTTP_IDEMPOTENCY_KEY": key, "HTTP_AUTHORIZATION": f"Bearer {token}",
    }


def drive(args: argparse.Namespace) -> None:
    """Build Procura's app for one configuration, warm up, say "ready", then
    for each `round R` line on stdin run R's creates and replays and answer
    with one JSON line of figures."""
    results = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything the app prints goes to stderr, not into the results
    from app.http.auth import mint_token
    from benchmarks.commands import BODY, SECRET

    os.environ.update({"DATABASE_URL": args.database_url, "PROCURA_DB_POOLER": args.pooler,
                       "PROCURA_JWT_SECRET": SECRET, "PROCURA_RATE_LIMIT_COMMANDS": "off",
                       "PROCURA_RATE_LIMIT_READS": "off",
                       "PROMETHEUS_MULTIPROC_DIR": tempfile.mkdtemp(prefix="procura-bench-metrics-")})
    from app.bootstrap import create_app

    app = create_app()
    token = mint_token(SECRET, sub="bench", org="bench", roles=["requester"], department="eng")
    body = BODY.encode()

    def send(key: str) -> str:
        statuses: list[str] = []
        b"".join(app(_environ(key, body, token), lambda status, headers, exc=None: statuses.append(status)))
        return statuses[0]

    clock = BackendClock(args.monitor_url, args.database)
    with ThreadPoolExecutor(args.threads) as pool:
        def run(keys: list[str]) -> dict[str, float]:
            before, bouncer_before = clock.ticks(), process_ticks(args.bouncer_pid) if args.bouncer_pid else 0
            client_before, started = time.process_time(), time.perf_counter()
            statuses = set(pool.map(send, keys))
            wall, client = time.perf_counter() - started, time.process_time() - client_before
            after, bouncer_after = clock.ticks(), process_ticks(args.bouncer_pid) if args.bouncer_pid else 0
            if statuses != {"201 CREATED"}:
                sys.exit(f"{args.pooler}: unexpected statuses {sorted(statuses)}")
            # A backend that started during the run counts whole (its start-up is the run's cost).
            pg_ticks = sum(ticks - before.get(pid, 0) for pid, ticks in after.items())
            return {"pg_us": pg_ticks * TICK_SECONDS * 1e6 / len(keys),
                    "bouncer_us": (bouncer_after - bouncer_before) * TICK_SECONDS * 1e6 / len(keys),
                    "client_us": client * 1e6 / len(keys), "rps": len(keys) / wall,
                    "backends": len(after), "vanished": len(before.keys() - after.keys())}

        warm = [f"warm-{i}" for i in range(WARM_UP)]
        run(warm)
        run(warm)
        print("ready", file=results)
        for line in sys.stdin:
            keys = [f"{line.split()[1]}-{i}" for i in range(args.requests)]
            print(json.dumps({"create": run(keys), "replay": run(keys)}), file=results)
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)


# --- in the parent -------------------------------------------------------------------------------

class Driver:
    """A `--drive` process for one configuration, talked to line by line."""

    def __init__(self, configuration: Configuration, database_url: str, database: str, monitor_url: str,
                 args: argparse.Namespace, bouncer_pid: int | None, errors):
        self.configuration = configuration
        self.errors = errors
        command = [sys.executable, "-m", "benchmarks.pooler", "--drive", "--pooler", configuration.pooler,
                   "--database-url", database_url, "--database", database, "--monitor-url", monitor_url,
                   "--threads", str(args.threads), "--requests", str(args.requests)]
        if bouncer_pid:
            command += ["--bouncer-pid", str(bouncer_pid)]
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=self.errors, text=True, bufsize=1)

    def _answer(self) -> str:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            self.errors.seek(0)
            sys.exit(f"{self.configuration.label}: driver exited {self.process.returncode}\n"
                     f"{self.errors.read()[-3000:]}")
        return line

    def ready(self) -> None:
        if self._answer().strip() != "ready":
            sys.exit(f"{self.configuration.label}: driver did not start")

    def round(self, number: int) -> dict[str, dict[str, float]]:
        self.process.stdin.write(f"round r{number}\n")
        self.process.stdin.flush()
        return json.loads(self._answer())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _check_local_server(admin_url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    if process_ticks(pid) is None:
        sys.exit(f"bench_pooler reads PostgreSQL's CPU from /proc: the server at {admin_url} must run here")


def _session_defaults(url: str) -> None:
    """What PgBouncer cannot pass on from Procura, as the database's session
    defaults (docs/operators/connection-pooler.md)."""
    with psycopg.connect(url, autocommit=True) as conn:
        give_session_defaults(conn, conn.info.dbname)


def measure(args: argparse.Namespace) -> dict[str, list[dict[str, dict[str, float]]]]:
    from benchmarks.commands import ADMIN_URL, scratch_database
    from testkit.pgbouncer import PGBOUNCER, pgbouncer

    if not (os.access(PGBOUNCER, os.X_OK) or shutil.which("pgbouncer")):
        sys.exit("bench_pooler needs pgbouncer (apt-get install pgbouncer)")
    _check_local_server(ADMIN_URL)
    results: dict[str, list[dict[str, dict[str, float]]]] = {c.label: [] for c in CONFIGURATIONS}
    with ExitStack() as stack:
        bouncer = stack.enter_context(pgbouncer(ADMIN_URL, pool_size=BOUNCER_POOL_SIZE))
        bouncer_pid = int(Path(bouncer.directory, "pgbouncer.pid").read_text())
        drivers = []
        for n, configuration in enumerate(CONFIGURATIONS, 1):
            name = f"bench_pooler{n}_{uuid.uuid4().hex[:6]}"
            url = stack.enter_context(scratch_database(name))
            _session_defaults(url)
            if configuration.through_bouncer:
                url = bouncer.url_for(url)
            driver = Driver(configuration, url, name, ADMIN_URL, args,
                            bouncer_pid if configuration.through_bouncer else None,
                            stack.enter_context(tempfile.TemporaryFile(mode="w+")))
            stack.callback(driver.close)
            drivers.append(driver)
        for driver in drivers:  # one at a time: start-ups would otherwise compete
            driver.ready()
        for number in range(args.rounds):
            for driver in drivers:
                results[driver.configuration.label].append(driver.round(number))
    return results


def report(results: dict[str, list[dict[str, dict[str, float]]]], args: argparse.Namespace) -> None:
    def median(label: str, command: str, field: str) -> float:
        return statistics.median(r[command][field] for r in results[label])

    def spread(label: str, command: str) -> str:
        values = [r[command]["pg_us"] for r in results[label]]
        return f"{min(values):.0f}-{max(values):.0f}"

    print(f"PostgreSQL CPU per command: utime+stime of the scratch database's client backends "
          f"(pg_stat_activity, /proc/<pid>/stat, {TICK_SECONDS * 1000:.0f} ms ticks: "
          f"{TICK_SECONDS * 1e6 / args.requests:.0f} us per command at this count)")
    print(f"{args.requests} creates + {args.requests} replays per run, {args.threads} threads into the WSGI app, "
          f"{args.rounds} interleaved rounds (medians; PG range over rounds)")
    print(f"{'configuration':25} {'command':7} {'PG us/cmd':>9} {'PG range':>9} {'PgBouncer':>9} "
          f"{'client us':>9} {'req/s':>7}")
    for label in results:
        for command in COMMANDS:
            print(f"{label:25} {command:7} {median(label, command, 'pg_us'):9.0f} {spread(label, command):>9} "
                  f"{median(label, command, 'bouncer_us'):9.0f} {median(label, command, 'client_us'):9.0f} "
                  f"{median(label, command, 'rps'):7.0f}")
    vanished = sum(r[c]["vanished"] for rounds in results.values() for r in rounds for c in COMMANDS)
    if vanished:
        print(f"note: {vanished} backends exited during runs; their last CPU is not counted")
    print()
    first = CONFIGURATIONS[0].label
    for configuration in CONFIGURATIONS[1:]:
        label = configuration.label
        for command in COMMANDS:
            pg, bouncer = median(label, command, "pg_us"), median(label, command, "bouncer_us")
            base = median(first, command, "pg_us")
            print(f"{label} / 1, {command}: PostgreSQL CPU {_ratio(pg, base)}, "
                  f"with PgBouncer's {_ratio(pg + bouncer, base)}, client CPU "
                  f"{_ratio(median(label, command, 'client_us'), median(first, command, 'client_us'))}, "
                  f"req/s {_ratio(median(label, command, 'rps'), median(first, command, 'rps'))}")


def _ratio(value: float, base: float) -> str:
    # Short runs can see no whole clock tick of PostgreSQL CPU at all.
    return f"{value / base:.2f}" if base else "n/a (too few commands to measure)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="creates (and as many replays) per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4, help="threads sending into the app")
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    for hidden in ("--pooler", "--database-url", "--database", "--monitor-url"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--bouncer-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args)
        return
    report(measure(args), args)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
