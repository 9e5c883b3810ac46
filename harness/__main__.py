"""`scripts/soak`: the harness at full size, for humans."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from harness.runner import Options, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/soak", description=__doc__)
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients [32]")
    parser.add_argument("--commands", type=int, default=10_000, help="commands to send [10000]")
    parser.add_argument("--duration", type=float, default=None, help="stop the load after this many seconds")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--no-hostile", dest="hostile", action="store_false", help="skip the hostile-input sweep")
    args = parser.parse_args(argv)
    report = run(Options(clients=args.clients, commands=args.commands, duration=args.duration, seed=args.seed,
                         hostile=args.hostile))
    report.print(Console())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
