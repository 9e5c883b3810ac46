"""scripts/bench_overload: `procura serve` (HAProxy in front of granian, on
PostgreSQL) under closed-loop load at 1x, 2x and 4x its saturation point.

The saturation point is measured first, in the same run: the fewest clients
whose admitted throughput reaches 90% of the best seen. Each client sends a request,
waits for its answer and sends the next at once: four list reads, then a
create. Clients do not honour Retry-After (the worst case: a careless client
hammering). Printed per load: admitted (non-shed) req/s and their p50/p99,
shed answers (503 overloaded, 429) with their p50/p99/max latency, timeouts
(no answer in TIMEOUT seconds) and any other 5xx. Targets (docs/developers/reliability.md):
at 4x, admitted p99 within 3x of the 1x p99, every shed answer within 50 ms,
no timeouts, no 5xx but 503 overloaded."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from app.http.auth import mint_token
from benchmarks.commands import SECRET, scratch_database, server

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "8"))
TIMEOUT = 5.0
PROBE_CLIENTS = (1, 2, 4, 8, 12, 16, 24, 32)
PROBE_SECONDS = 5.0
BODY = json.dumps({"title": "Overload", "supplier_id": "acme", "currency": "EUR", "needed_by": "2031-01-01",
                   "lines": [{"sku": "A", "description": "a", "quantity": 1, "unit_price": "9.99"}]})


@dataclass
class Tally:
    admitted: list[float] = field(default_factory=list)  # seconds
    shed: list[float] = field(default_factory=list)
    timeouts: int = 0
    other_5xx: dict[int, int] = field(default_factory=dict)


async def _exchange(reader, writer, request: bytes) -> tuple[int, bytes, bool]:
    """Send one request, read its answer: (status, body, server closes)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection", "").lower() == "close"


def _requests(host: str, token: str):
    """Forever: four list reads, then a create with a fresh key."""
    read = (f"GET /purchase-orders?limit=20 HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {token}\r\n\r\n").encode()
    while True:
        yield from (read,) * 4
        yield (f"POST /purchase-orders HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
               f"Content-Type: application/json\r\nIdempotency-Key: {uuid.uuid4()}\r\n"
               f"Content-Length: {len(BODY)}\r\n\r\n{BODY}").encode()


def _is_shed(status: int, body: bytes) -> bool:
    return status == 429 or (status == 503 and b"/problems/overloaded" in body)


async def _client(base: str, token: str, until: float, tally: Tally) -> None:
    host, port = base.removeprefix("http://").split(":")
    connection = None
    for request in _requests(f"{host}:{port}", token):
        if time.monotonic() >= until:
            break
        started = time.monotonic()
        try:
            connection = connection or await asyncio.open_connection(host, int(port))
            status, body, closes = await asyncio.wait_for(_exchange(*connection, request), TIMEOUT)
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            tally.timeouts += 1
            connection = _close(connection)
            continue
        took = time.monotonic() - started
        if _is_shed(status, body):
            tally.shed.append(took)
        elif status >= 500:
            tally.other_5xx[status] = tally.other_5xx.get(status, 0) + 1
        else:
            tally.admitted.append(took)
        if closes:
            connection = _close(connection)
    _close(connection)


def _close(connection) -> None:
    if connection is not None:
        connection[1].close()
    return None


def load(base: str, token: str, clients: int, seconds: float) -> Tally:
    """`clients` closed-loop clients for `seconds`; what they saw."""
    tally = Tally()

    async def run():
        until = time.monotonic() + seconds
        await asyncio.gather(*(_client(base, token, until, tally) for _ in range(clients)))

    asyncio.run(run())
    return tally


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def saturation(base: str, token: str) -> tuple[int, dict[int, float]]:
    """The fewest clients reaching 90% of the best admitted throughput."""
    throughput = {}
    for clients in PROBE_CLIENTS:
        tally = load(base, token, clients, PROBE_SECONDS)
        throughput[clients] = len(tally.admitted) / PROBE_SECONDS
    best = max(throughput.values())
    return min(c for c, rps in throughput.items() if rps >= 0.9 * best), throughput


def main() -> None:
    token = mint_token(SECRET, sub="bench", org="bench", roles=["requester"], department="eng")
    with ExitStack() as stack:
        database = stack.enter_context(scratch_database(f"bench_overload_{uuid.uuid4().hex[:6]}"))
        base = stack.enter_context(server(
            [sys.executable, "-m", "app.cli", "serve", "--workers", str(WORKERS), "--threads", str(THREADS)],
            # One token stands in for many callers here: no per-caller bound.
            {"DATABASE_URL": database, "PROCURA_JWT_SECRET": SECRET, "PROCURA_RATE_LIMIT_COMMANDS": "off",
             "PROCURA_RATE_LIMIT_READS": "off", "PROCURA_MAX_IN_FLIGHT_PER_CALLER": "off",
             "PROCURA_MAX_REQUESTS_PER_SECOND_PER_CALLER": "off", "PROCURA_DRAIN_SECONDS": "0"}, "/purchase-orders"))
        load(base, token, 8, 3)  # warm up: pools, caches, some rows to list
        point, probed = saturation(base, token)
        print("saturation probe (admitted req/s by clients): "
              + ", ".join(f"{c}: {rps:.0f}" for c, rps in probed.items()))
        levels = {1: point, 2: 2 * point, 4: 4 * point}
        tallies: dict[int, list[Tally]] = {x: [] for x in levels}
        for _ in range(ROUNDS):
            for factor, clients in levels.items():  # interleaved: drifts hit every level alike
                tallies[factor].append(load(base, token, clients, SECONDS))
    report(point, levels, tallies)


def report(point: int, levels: dict[int, int], tallies: dict[int, list[Tally]]) -> None:
    print(f"procura serve: HAProxy + granian {WORKERS} workers x {THREADS} threads, PostgreSQL, "
          f"queue wait {os.environ.get('PROCURA_QUEUE_WAIT_MS', 'default')} ms; "
          f"saturation at {point} clients; {ROUNDS} interleaved rounds of {SECONDS:.0f}s (medians of rounds)")
    print(f"{'load':>4} {'clients':>7} {'admit/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'shed':>7} "
          f"{'shed p50':>8} {'shed p99':>8} {'shed max':>8} {'timeouts':>8} {'other 5xx':>9}")
    p99 = {}
    for factor, clients in levels.items():
        rounds = tallies[factor]

        def med(f, rounds=rounds):
            return statistics.median(f(t) for t in rounds)

        p99[factor] = med(lambda t: _percentile(t.admitted, 0.99) * 1000)
        shed_max = max((max(t.shed) for t in rounds if t.shed), default=0.0) * 1000
        other = {}
        for t in rounds:
            for status, count in t.other_5xx.items():
                other[status] = other.get(status, 0) + count
        print(f"{factor:>3}x {clients:7} {med(lambda t: len(t.admitted) / SECONDS):8.0f} "
              f"{med(lambda t: _percentile(t.admitted, 0.5) * 1000):7.1f} {p99[factor]:7.1f} "
              f"{med(lambda t: len(t.shed)):7.0f} {med(lambda t: _percentile(t.shed, 0.5) * 1000):8.1f} "
              f"{med(lambda t: _percentile(t.shed, 0.99) * 1000):8.1f} {shed_max:8.1f} "
              f"{sum(t.timeouts for t in rounds):8} {json.dumps(other) if other else 0!s:>9}")
    print(f"4x admitted p99 / 1x p99: {p99[4] / p99[1]:.2f} (target <= 3)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
