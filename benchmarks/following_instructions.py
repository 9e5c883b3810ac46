"""scripts/bench_instructions --following: the projection worker's CPU
instructions per event (callgrind), following one event at a time against
catching up in full batches, with one reader per read model (the design
before release 0.3.0) and with the shared reader.

Instruction counts do not move with the machine's load. Each figure is the
difference between a run over `--long` and one over `--short` events (the
events written beforehand by this process, outside the measured one),
divided by the difference in events: start-up and imports cancel out. The
measured process builds the worker's services on a scratch PostgreSQL
database and steps its followers until every one has reached the head; the
database server's own work is not counted. Needs valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

from benchmarks.instructions import counted

ROOT = Path(__file__).resolve().parent.parent
#: target -> (events per batch, whether the read models share one reader)
TARGETS = {
    "one reader per model, 1 event per batch": (1, False),
    "shared reader, 1 event per batch": (1, True),
    "shared reader, 10 events per batch": (10, True),
    "catching up, 500 events per batch": (500, True),
}


def _settings(url: str):
    from app.config import Settings

    return Settings(database_url=url, jwt_secret="x" * 40, db_pool_size=2)


def drive(target: str, url: str) -> None:
    """Run in the measured process: follow every event of `url`'s store."""
    from app.bootstrap import build_services
    from projections.runner import fan_outs

    batch, shared = TARGETS[target]
    services = build_services(_settings(url))
    followers = services.followers()
    for follower in followers:
        follower.batch_size = batch
    # Before release 0.3.0 each follower stepped alone, as Follower.step still does.
    steppers = fan_outs(followers, 1.0) if shared else followers
    while sum(stepper.step() for stepper in steppers):
        pass
    services.close()


def instructions(target: str, events: int) -> tuple[int, int]:
    """(instructions callgrind counts for following a store of about
    `events` events, the exact number of events)."""
    from app.bootstrap import build_services
    from benchmarks.commands import scratch_database
    from benchmarks.projections import write_events

    with scratch_database(f"bench_irf_{uuid.uuid4().hex[:8]}") as url:
        services = build_services(_settings(url))
        written = write_events(services.event_store, events)
        services.close()
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, "-m",
             "benchmarks.following_instructions", "--drive", target, "--url", url],
            cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    found = re.search(r"Collected : (\d+)", out.stderr)
    if out.returncode != 0 or not found:
        sys.exit(f"{target}: valgrind run failed\n{out.stderr[-2000:]}")
    return int(found.group(1)), written


def per_event(target: str, short: int, long: int) -> float:
    (few, n_few), (many, n_many) = instructions(target, short), instructions(target, long)
    return (many - few) / (n_many - n_few)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", type=int, default=50)
    parser.add_argument("--long", type=int, default=150)
    parser.add_argument("--drive", choices=TARGETS, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.drive:
        drive(args.drive, args.url)
        return
    counts = counted(TARGETS, lambda t: per_event(t, args.short, args.long))
    print(f"projection worker: instructions per event (callgrind; {args.long} minus {args.short} events)")
    for target, count in counts.items():
        print(f"{target:42} {count / 1000:9,.0f}k")
    catching_up = counts["catching up, 500 events per batch"]
    print()
    for target, count in counts.items():
        print(f"{target} / catching up: {count / catching_up:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
