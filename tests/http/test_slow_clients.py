"""Slow clients against `procura serve` on PostgreSQL (2 workers x 8 threads):
connections that drip their request one byte a second never reach a Python
thread; the edge closes them with 408 after the request timeout while
everyone else is served as usual."""

from __future__ import annotations

import asyncio
import json
import statistics
import threading
import time
from dataclasses import dataclass, field

import pytest
import requests

from harness.wire import build_request, raw_request
from testkit.server import serving_process
from tests.conftest import SECRET, token

pytestmark = pytest.mark.postgres

DRIP_SECONDS = 8
#: The bar for everyone else while the slow clients drip.
ANSWER_WITHIN = 1.0
#: Test-sized (the default is 10 s): a dripping connection is closed and
#: reopened every few seconds, so a drip of DRIP_SECONDS covers four rounds.
REQUEST_TIMEOUT = 2


@dataclass
class Drip:
    """What the slow connections saw: one entry per connection the server closed."""

    closed_after: list[float] = field(default_factory=list)
    answers: list[bytes] = field(default_factory=list)
    opened: int = 0


async def _drip_one(host: str, port: int, drip: Drip, until: float) -> None:
    """Keep one connection dripping a request's headers, a byte a second, until `until`;
    when the server closes it, note how and open another."""
    request = b"GET /purchase-orders HTTP/1.1\r\nHost: procura\r\nAuthorization: Bearer x\r\nX-Slow: "
    while time.monotonic() < until:
        reader, writer = await asyncio.open_connection(host, port)
        drip.opened += 1
        opened, answer = time.monotonic(), b""
        for byte in (request + b"y" * 1000):
            writer.write(bytes([byte]))
            try:
                answer = await asyncio.wait_for(reader.read(4096), timeout=1.0)
            except TimeoutError:  # still open: the next byte a second later
                if time.monotonic() >= until:
                    break
                continue
            except ConnectionError:
                answer = b"<reset>"
            drip.closed_after.append(time.monotonic() - opened)
            drip.answers.append(answer)
            break
        writer.close()


def _drip_in_background(base: str, connections: int, seconds: float) -> tuple[threading.Thread, Drip]:
    host, port = base.removeprefix("http://").split(":")
    drip = Drip()
    until = time.monotonic() + seconds

    async def run():
        await asyncio.gather(*(_drip_one(host, int(port), drip, until) for _ in range(connections)))

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    return thread, drip


@pytest.fixture(scope="module")
def server(module_pg_database_url):
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET,
           "PROCURA_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT)}
    with serving_process(env, workers=2, threads=8) as (base, _process):
        yield base


def _probe(base: str, drip_thread: threading.Thread) -> list[tuple[str, int, float]]:
    """Alternate /healthz and an authenticated read while the drip lasts."""
    headers = {"Authorization": f"Bearer {token()}"}
    seen = []
    while drip_thread.is_alive():
        for path, extra in (("/healthz", {}), ("/purchase-orders?limit=5", headers)):
            started = time.monotonic()
            try:
                status = requests.get(base + path, headers=extra, timeout=10).status_code
            except requests.RequestException:
                status = 0
            seen.append((path, status, time.monotonic() - started))
        time.sleep(0.2)  # probe pacing, not synchronisation
    return seen


@pytest.mark.parametrize("connections", [64, 512])
def test_reads_and_health_answer_within_a_second_while_connections_drip_headers(server, connections):
    thread, drip = _drip_in_background(server, connections, DRIP_SECONDS)
    seen = _probe(server, thread)
    thread.join()
    slow = [(path, status, round(took, 2)) for path, status, took in seen if status != 200 or took > ANSWER_WITHIN]
    assert len(seen) > 2 * DRIP_SECONDS and not slow, slow[:10]
    latencies = sorted(took for _, _, took in seen)
    print(f"{connections} dripping: {len(seen)} probes, median {statistics.median(latencies) * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms; {drip.opened} slow connections opened, {len(drip.closed_after)} closed")


@pytest.mark.parametrize("connections", [64, 512])
def test_dripping_connections_are_closed_with_408_after_the_request_timeout(server, connections):
    thread, drip = _drip_in_background(server, connections, REQUEST_TIMEOUT + 5)
    thread.join()
    assert len(drip.closed_after) >= connections
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in drip.answers), set(drip.answers)
    assert min(drip.closed_after) >= REQUEST_TIMEOUT - 1 and max(drip.closed_after) <= REQUEST_TIMEOUT + 3


def test_a_body_slower_than_its_content_length_is_a_408_request_timeout_problem(server):
    headers = {"Authorization": f"Bearer {token()}", "Idempotency-Key": "slow-body",
               "Content-Type": "application/json", "Content-Length": "200"}
    request = build_request("POST", "/purchase-orders", server, headers) + b'{"title": '
    started = time.monotonic()
    answer = raw_request(server, request, timeout=REQUEST_TIMEOUT + 5)
    took = time.monotonic() - started
    assert answer.status == 408 and answer.headers["content-type"] == "application/problem+json"
    assert json.loads(answer.body)["type"] == "/problems/request-timeout"
    assert took < REQUEST_TIMEOUT + 3
