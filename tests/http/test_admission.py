"""Admission control at the edge, through a real `procura serve`: a server
with every request slot busy sheds what it cannot start soon with 503
`overloaded` and Retry-After, while probes still answer; the edge itself is
part of the server's life (missing: one line; lost: the server stops)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
import requests

from testkit.server import ROOT, free_port, wait_until
from tests.conftest import server_with_an_unprojected_po, token

pytestmark = pytest.mark.external

#: A request the API itself keeps busy for 2 s: a read waiting for a read
#: model position the store has but no worker projects (then 503
#: projection-behind). One caller may hold two such waits (its share).
SLOW_READ = "/purchase-orders?min_position=1"


@pytest.fixture
def two_slot_server(pg_database_url):
    """A server on PostgreSQL with two request slots (1 worker x 2 threads),
    the default queue wait, and one PO in its store that no `procura worker`
    projects."""
    with server_with_an_unprojected_po(pg_database_url, threads=2) as (base, process):
        yield base, process


class _Occupied:
    """`count` clients sending slow reads back to back until released, so the
    slots stay busy however slowly a loaded machine starts them."""

    def __init__(self, base: str, count: int, headers: dict):
        self.released = threading.Event()

        def slow():
            while not self.released.is_set():
                requests.get(base + SLOW_READ, headers=headers, timeout=30)

        self.threads = [threading.Thread(target=slow, daemon=True) for _ in range(count)]
        for thread in self.threads:
            thread.start()

    def release(self) -> None:
        self.released.set()
        for thread in self.threads:
            thread.join()


def _overloaded(base: str, headers: dict) -> list[requests.Response]:
    """[the answer] when a quick read was shed, else [] (a 503 Response is falsy)."""
    answer = requests.get(base + "/purchase-orders?limit=1", headers=headers, timeout=10)
    return [answer] if answer.status_code == 503 else []


def test_a_request_finding_every_slot_busy_is_shed_with_503_overloaded_and_retry_after(two_slot_server):
    base, _ = two_slot_server
    headers = {"Authorization": f"Bearer {token()}"}
    busy = _Occupied(base, 2, headers)
    [answer] = wait_until(lambda: _overloaded(base, headers), timeout=20, interval=0.02, what="a shed request")
    busy.release()
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["type"] == "/problems/overloaded" and answer.json()["instance"] == answer.headers["x-request-id"]
    assert answer.headers["retry-after"] == "1"


def test_health_and_readiness_answer_while_every_slot_is_busy(two_slot_server):
    base, _ = two_slot_server
    headers = {"Authorization": f"Bearer {token()}"}
    busy = _Occupied(base, 2, headers)
    wait_until(lambda: _overloaded(base, headers), timeout=20, interval=0.02, what="every slot busy")
    probes = [requests.get(base + path, timeout=5).status_code for path in ("/healthz", "/readyz") * 3]
    busy.release()
    assert probes == [200] * 6


def test_a_request_after_the_slots_free_up_is_served(two_slot_server):
    base, _ = two_slot_server
    headers = {"Authorization": f"Bearer {token()}"}
    busy = _Occupied(base, 2, headers)
    wait_until(lambda: _overloaded(base, headers), timeout=20, interval=0.02, what="every slot busy")
    busy.release()
    assert requests.get(base + "/purchase-orders?limit=1", headers=headers, timeout=5).status_code == 200


def test_serve_without_haproxy_installed_ends_with_one_line_naming_the_fix(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path), "PROCURA_SQLITE_PATH": str(tmp_path / "p.sqlite3")}
    result = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--port", str(free_port())],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "procura: haproxy not found: install it (apt-get install haproxy), "
        "or set PROCURA_EDGE=none when a buffering proxy of your own fronts Procura")


def test_the_server_stops_with_a_failure_status_when_its_haproxy_dies(two_slot_server):
    base, process = two_slot_server
    found = subprocess.run(["pgrep", "-P", str(process.pid), "haproxy"], capture_output=True, text=True)
    [edge] = found.stdout.split()
    os.kill(int(edge), signal.SIGKILL)
    assert process.wait(timeout=30) == 1
