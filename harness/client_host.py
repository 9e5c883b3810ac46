"""The harness load as a process of its own, for a client on another host:
`python -m harness.client_host --base URL --base URL2 --out FILE`.

Clients start spread over the APIs and fail over between them (load.Client).
The load runs until its commands are spent or SIGTERM arrives (then each
client finishes the command it is on); the recorded exchanges are pickled
to FILE for the checks."""

from __future__ import annotations

import argparse
import pickle
import signal
import sys
import threading
import time

from harness.load import Budget, Client, Mix
from harness.wire import Journal


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.client_host", description=__doc__)
    parser.add_argument("--base", action="append", required=True, help="an API's base URL (repeat for more)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--commands", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--out", required=True, help="where to pickle the recorded exchanges")
    args = parser.parse_args(argv)
    journal = Journal()
    budget = Budget(args.commands, None)

    def stop(*_):
        budget.deadline = time.monotonic()

    signal.signal(signal.SIGTERM, stop)
    clients = [Client(n, args.base, journal, budget, Mix(), args.seed) for n in range(args.clients)]
    threads = [threading.Thread(target=c.run, name=f"client-{n}") for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with open(args.out, "wb") as out:
        pickle.dump(journal.exchanges, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
