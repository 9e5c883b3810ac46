"""scripts/bench_fairness: one organisation's latency while another's single
token floods `procura serve` (HAProxy + granian, PostgreSQL) with expensive
reads.

The store is grown first to BENCH_EVENTS events (default 150,000) straight
through the application. Tokens come from a stand-in identity provider
(testkit.identity_provider) that takes PROVIDER_DELAY (1 s) to answer its
JWKS after the warm-up, and Procura refetches on every unknown `kid`
(PROCURA_JWKS_REFRESH_INTERVAL=0, the worst case). The victim (org `victim`) sends
`GET /purchase-orders?limit=1` and creates at a steady rate (VICTIM_RATE per
second, one create in five), alone, then while the attacker's token (org
`attacker`, an auditor) floods from ATTACKERS clients at another address
(ATTACKER_ADDRESS), each sending back to back without honouring
Retry-After: traces of an id nothing was written under, lists with a
`min_position` far beyond the head, and, without any valid signature,
tokens with made-up `kid`s (ATTACKS picks some of them). The attacker runs
in a process of its own. The server runs with its default limits
(PROCURA_MAX_IN_FLIGHT_PER_CALLER, when set, is passed on).
Rounds interleave the two phases (BENCH_ROUNDS, BENCH_SECONDS each).

Printed: the victim's p50/p99 and 5xx count alone and flooded, the ratio of
the p99s (goal: at most 2, and no 503), and what the attacker got. The
server runs the code in BENCH_SOURCE (default: this checkout), so a
checkout of an older release can be measured the same way.
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from app.bootstrap import build_services
from app.config import Settings
from benchmarks.commands import SECRET, scratch_database
from testkit import stores
from testkit.identity_provider import AUDIENCE, FakeIdentityProvider, SigningKey
from testkit.server import ROOT, serving_process

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1"))
EVENTS = int(os.environ.get("BENCH_EVENTS", "150000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
VICTIM_RATE = float(os.environ.get("VICTIM_RATE", "20"))
ATTACKERS = int(os.environ.get("ATTACKERS", "12"))
#: Which expensive reads the attacker sends (comma-separated), to see what each costs the victim.
ATTACKS = tuple(os.environ.get("ATTACKS", "trace,far min_position,unknown kid").split(","))
SOURCE = Path(os.environ.get("BENCH_SOURCE", ROOT))
VICTIM_CLIENTS = 4
#: The attacker's own address (another host, as far as the edge can tell).
ATTACKER_ADDRESS = "127.0.0.2"
#: How long the slow provider takes to answer its JWKS: within Procura's fetch
#: timeout (1.5 s; 3 s before), so fetches succeed, slowly.
PROVIDER_DELAY = 1.0
TIMEOUT = 30.0
PO = {"title": "Fairness", "supplier_id": "acme", "currency": "EUR", "needed_by": "2031-01-01",
      "lines": [{"sku": "A", "description": "a", "quantity": 1, "unit_price": "9.99"}]}


@dataclass
class Victim:
    latencies: list[float] = field(default_factory=list)  # seconds, every answer
    statuses: Counter = field(default_factory=Counter)

    def record(self, seconds: float, answer: requests.Response | None) -> None:
        self.latencies.append(seconds)
        status = 599 if answer is None else answer.status_code  # 599: no answer within TIMEOUT
        problem = answer is not None and answer.headers.get("content-type", "").startswith("application/problem")
        self.statuses[f"{status} {answer.json()['type'].removeprefix('/problems/')}" if problem else status] += 1

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if int(str(status)[:3]) >= 500)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def grow(database: str) -> None:
    services = build_services(Settings(database_url=database, jwt_secret=SECRET))
    try:
        stores.grow(services.event_store, EVENTS // 2, "attacker")
    finally:
        services.close()


def victim_round(base: str, headers: dict, seconds: float) -> Victim:
    """VICTIM_RATE requests a second for `seconds`, four lists to a create,
    spread over VICTIM_CLIENTS clients each keeping its own schedule."""
    victim, until = Victim(), time.monotonic() + seconds
    period = VICTIM_CLIENTS / VICTIM_RATE

    def client(offset: int) -> None:
        session, due, n = requests.Session(), time.monotonic() + offset * period / VICTIM_CLIENTS, offset
        while due < until:
            time.sleep(max(0.0, due - time.monotonic()))
            started = time.monotonic()
            try:
                if n % 5 == 4:
                    answer = session.post(base + "/purchase-orders", json=PO, timeout=TIMEOUT,
                                          headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
                else:
                    answer = session.get(base + "/purchase-orders?limit=1", headers=headers, timeout=TIMEOUT)
                victim.record(time.monotonic() - started, answer)
            except requests.RequestException:
                victim.record(time.monotonic() - started, None)
            due, n = due + period, n + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(VICTIM_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return victim


class FromAddress(HTTPAdapter):
    """Connections from a given local address."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, source_address=(self.address, 0), **kwargs)


class Flood:
    """ATTACKERS clients of one token (and tokens with made-up kids) sending
    expensive reads back to back until stopped; what they got, by kind.

    They run in a process of their own, as another host would: in the
    victim's process their signing and parsing would hold its interpreter
    lock and count against the victim's latency."""

    def __init__(self, base: str, headers: dict, provider: FakeIdentityProvider, key: SigningKey):
        context = multiprocessing.get_context("fork")
        self.stopped = context.Event()
        self.results = context.Queue()
        self.process = context.Process(target=self._run, args=(base, headers, provider, key), daemon=True)
        self.process.start()
        self.got: Counter = Counter()

    def _run(self, base: str, headers: dict, provider: FakeIdentityProvider, key: SigningKey) -> None:
        got: Counter = Counter()

        def made_up_kid() -> dict:
            claims = provider.claims(sub="mallory", org="attacker", roles=["auditor"])
            return {"Authorization": f"Bearer {key.sign(claims, kid=uuid.uuid4().hex)}"}

        requests_of = {
            "trace": lambda: (f"/trace?id=never-{uuid.uuid4().hex}", headers),
            "far min_position": lambda: ("/purchase-orders?limit=1&min_position=1099511627776", headers),
            "unknown kid": lambda: ("/purchase-orders?limit=1", made_up_kid()),
        }

        def attack(kind: str) -> None:
            session = requests.Session()
            session.mount("http://", FromAddress(ATTACKER_ADDRESS))
            while not self.stopped.is_set():
                path, sent = requests_of[kind]()
                try:
                    status = session.get(base + path, headers=sent, timeout=TIMEOUT).status_code
                except requests.RequestException:
                    status = 599
                got[(kind, status)] += 1

        threads = [threading.Thread(target=attack, args=(ATTACKS[i % len(ATTACKS)],)) for i in range(ATTACKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.results.put(dict(got))

    def stop(self) -> None:
        self.stopped.set()
        self.got.update(self.results.get(timeout=TIMEOUT + 5))
        self.process.join()


def main() -> None:
    key = SigningKey.rsa("fairness-1")
    provider = FakeIdentityProvider(key)
    victim_headers = {"Authorization": "Bearer " + key.sign(provider.claims(sub="vera", org="victim"))}
    attacker_headers = {"Authorization": "Bearer " + key.sign(
        provider.claims(sub="mallory", org="attacker", roles=["auditor"]))}
    env = {"PROCURA_JWT_JWKS_URL": provider.jwks_url, "PROCURA_JWT_ISSUER": provider.issuer,
           "PROCURA_JWT_AUDIENCE": AUDIENCE, "PROCURA_JWKS_REFRESH_INTERVAL": "0",
           # the defaults, which the test servers turn off
           "PROCURA_RATE_LIMIT_COMMANDS": "1200/minute", "PROCURA_RATE_LIMIT_READS": "6000/minute",
           "PROCURA_MAX_IN_FLIGHT_PER_CALLER": os.environ.get("PROCURA_MAX_IN_FLIGHT_PER_CALLER", ""), "PROCURA_MAX_REQUESTS_PER_SECOND_PER_CALLER": "",
           "PROCURA_MAX_FAILED_AUTH_PER_ADDRESS": "", "PROCURA_QUEUE_WAIT_MS": "10"}
    alone: list[Victim] = []
    flooded: list[Victim] = []
    attacks: Counter = Counter()
    with ExitStack() as stack:
        stack.callback(provider.stop)
        database = stack.enter_context(scratch_database(f"bench_fairness_{uuid.uuid4().hex[:6]}"))
        started = time.monotonic()
        grow(database)
        print(f"store grown to {EVENTS} events in {time.monotonic() - started:.0f} s")
        base, _ = stack.enter_context(serving_process({**env, "DATABASE_URL": database}, workers=WORKERS,
                                                      threads=THREADS, source=SOURCE))
        victim_round(base, victim_headers, 3)  # warm up
        provider.delay_seconds = PROVIDER_DELAY  # from now on the provider is slow
        for _ in range(ROUNDS):
            alone.append(victim_round(base, victim_headers, SECONDS))
            flood = Flood(base, attacker_headers, provider, key)
            try:
                flooded.append(victim_round(base, victim_headers, SECONDS))
            finally:
                flood.stop()
            attacks.update(flood.got)
    report(alone, flooded, attacks)


def report(alone: list[Victim], flooded: list[Victim], attacks: Counter) -> None:
    print(f"procura serve from {SOURCE}: {WORKERS} workers x {THREADS} threads, PostgreSQL, {EVENTS} events; "
          f"victim {VICTIM_RATE:.0f} req/s (4 lists : 1 create), {ATTACKERS} attacking clients; "
          f"{ROUNDS} interleaved rounds of {SECONDS:.0f} s (medians of rounds)")
    p99 = {}
    for label, rounds in (("alone", alone), ("flooded", flooded)):
        p50 = statistics.median(_percentile(v.latencies, 0.5) * 1000 for v in rounds)
        p99[label] = statistics.median(_percentile(v.latencies, 0.99) * 1000 for v in rounds)
        statuses = sum((v.statuses for v in rounds), Counter())
        errors = sum(v.server_errors for v in rounds)
        print(f"victim {label:>7}: {sum(len(v.latencies) for v in rounds):5} answers, p50 {p50:6.1f} ms, "
              f"p99 {p99[label]:7.1f} ms, 5xx {errors} (statuses {dict(sorted(statuses.items(), key=str))})")
    print(f"victim p99 flooded / alone: {p99['flooded'] / p99['alone']:.2f} (goal <= 2, and no 503)")
    for kind in ATTACKS:
        got = {status: n for (k, status), n in sorted(attacks.items()) if k == kind}
        print(f"attacker {kind}: {got}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
