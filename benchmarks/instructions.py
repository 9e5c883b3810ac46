"""scripts/bench_instructions: client-side CPU instructions per request,
counted by callgrind, for Procura's create and replay next to the bare
baseline and the floor of scripts/bench_commands.

Instruction counts do not move with the machine's load, so changes of a few
percent that wall-clock runs on a shared machine hide show up here. Each
figure is the difference between a run of `--long` and a run of `--short`
requests (after the same warm-up), divided by the difference in requests:
start-up and imports cancel out. Requests go straight into each WSGI app in
one thread (no gunicorn, no sockets), against a scratch PostgreSQL database;
the database server's own work is not counted. Needs valgrind.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 30
TARGETS = ("baseline insert", "floor (db work)", "procura create", "procura replay")


def _environ(path: str, key: str, body: bytes, token: str | None) -> dict:
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SERVER_NAME": "bench", "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json", "HTTP_IDEMPOTENCY_KEY": key,
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return environ


def drive(target: str, requests: int) -> None:
    """Run in the measured process: build `target`'s app, warm up, then send
    `requests` POSTs (fresh keys, or for replays the warm-up's keys again)."""
    from app.http.auth import mint_token
    from benchmarks.commands import BODY, SECRET, scratch_database

    with scratch_database(f"bench_ir_{uuid.uuid4().hex[:8]}") as url:
        # One caller sends every request: rate limits off, as for scripts/bench_commands.
        os.environ.update({"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET, "PROCURA_RATE_LIMIT_COMMANDS": "off",
                           "PROCURA_RATE_LIMIT_READS": "off"})
        token, path = None, "/items"
        if target.startswith("procura"):
            from app.bootstrap import create_app
            from app.serving.server import _metrics_directory

            _metrics_directory()  # as under `procura serve`
            app = create_app()
            token = mint_token(SECRET, sub="bench", org="bench", roles=["requester"], department="eng")
            path = "/purchase-orders"
        elif target.startswith("floor"):
            from app.bootstrap import build_services

            build_services().close()  # Procura's tables and save function
            from benchmarks.floor_app import app
        else:
            from benchmarks.baseline_app import app
        body = BODY.encode()
        statuses: list[str] = []

        def send(key: str) -> None:
            b"".join(app(_environ(path, key, body, token), lambda status, headers, exc=None: statuses.append(status)))

        for i in range(WARM_UP):
            send(f"warm-{i}")
        for i in range(requests):
            send(f"warm-{i % WARM_UP}" if target == "procura replay" else f"key-{i}")
        if not all(s.startswith("201") for s in statuses):
            sys.exit(f"{target}: unexpected statuses {sorted(set(statuses))}")


def instructions(target: str, requests: int) -> int:
    """Instructions callgrind counts for one `drive` process."""
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
         "benchmarks.instructions", "--drive", target, "--requests", str(requests)],
        cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or not found:
        sys.exit(f"{target}: valgrind run failed\n{out.stderr[-2000:]}")
    return int(found.group(1))


def per_request(target: str, short: int, long: int) -> float:
    return (instructions(target, long) - instructions(target, short)) / (long - short)


def counted(targets, per_unit) -> dict[str, float]:
    """`per_unit(target)` for every target, two valgrind runs at a time (one per core)."""
    if not shutil.which("valgrind"):
        sys.exit("bench_instructions needs valgrind (apt-get install valgrind)")
    with ThreadPoolExecutor(2) as pool:
        return dict(zip(targets, pool.map(per_unit, targets), strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", type=int, default=40)
    parser.add_argument("--long", type=int, default=240)
    parser.add_argument("--drive", choices=TARGETS, help=argparse.SUPPRESS)
    parser.add_argument("--requests", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive(args.drive, args.requests)
        return
    counts = counted(TARGETS, lambda t: per_request(t, args.short, args.long))
    print(f"client-side instructions per request (callgrind; runs of {args.long} minus {args.short} requests)")
    for target, count in counts.items():
        print(f"{target:18} {count / 1000:9,.0f}k")
    base = counts["baseline insert"]
    print()
    print(f"procura create / baseline {counts['procura create'] / base:.2f}, "
          f"floor / baseline {counts['floor (db work)'] / base:.2f}, "
          f"procura replay / baseline {counts['procura replay'] / base:.2f}, "
          f"procura create / floor {counts['procura create'] / counts['floor (db work)']:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
