"""What the edge answers itself is seen, through a real `procura serve` on
PostgreSQL: each answer HAProxy writes (a 413, a shed, a framing it refuses)
becomes a JSON log line of `procura.edge` carrying the answer's request id,
and is counted in /metrics; answers granian writes are logged once, by
Procura; every line has millisecond times."""

from __future__ import annotations

import json
import re
import socket
from urllib.parse import urlsplit

import pytest
import requests

from testkit.server import serving_process, wait_until
from tests.conftest import SECRET

pytestmark = pytest.mark.external

TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d$")


@pytest.fixture(scope="module")
def server(module_pg_database_url, tmp_path_factory):
    log = tmp_path_factory.mktemp("edge-log") / "server.log"
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET}
    with serving_process(env, workers=1, threads=2, log=log) as (base, _):
        yield base, log


def _lines(log) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


def _edge_lines(log) -> list[dict]:
    return [line for line in _lines(log) if line["logger"] == "procura.edge"]


def _too_large(base: str) -> requests.Response:
    return requests.post(base + "/purchase-orders", data=b"", timeout=10,
                         headers={"Content-Length": str(5 * 1024 * 1024)})


def test_an_answer_the_edge_writes_itself_is_logged_with_its_request_id(server):
    base, log = server
    answer = _too_large(base)
    request_id = answer.headers["X-Request-Id"]
    line = wait_until(lambda: next((e for e in _edge_lines(log) if e["request_id"] == request_id), None),
                      timeout=10, what="the edge's line for the 413")
    assert answer.status_code == 413
    assert (line["status"], line["problem"], line["method"], line["target"]) == (
        413, "payload-too-large", "POST", "/purchase-orders")


def test_framing_haproxy_refuses_before_any_configuration_is_logged_too(server):
    base, log = server
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n")
        status_line = raw.recv(64).split(b"\r\n", 1)[0]
    line = wait_until(lambda: next((e for e in _edge_lines(log) if e["problem"] == "framing-refused"), None),
                      timeout=10, what="the edge's line for the refused framing")
    assert status_line.startswith(b"HTTP/1.1 422")
    assert line["status"] == 422


def test_answers_procura_writes_are_logged_once_by_procura(server):
    base, log = server
    request_id = requests.get(base + "/healthz", timeout=10).headers["X-Request-Id"]
    wait_until(lambda: any(line.get("request_id") == request_id for line in _lines(log)), timeout=10,
               what="Procura's line for the request")
    assert [line["logger"] for line in _lines(log) if line.get("request_id") == request_id] == ["procura.requests"]


def _edge_count(text: str, status: str, problem: str) -> float:
    prefix = f'procura_edge_answers_total{{problem="{problem}",status="{status}"}} '
    return sum(float(line[len(prefix):]) for line in text.splitlines() if line.startswith(prefix))


def test_the_edges_own_answers_are_counted_in_metrics(server):
    base, _ = server
    before = _edge_count(requests.get(base + "/metrics", timeout=10).text, "413", "payload-too-large")
    for _ in range(3):
        _too_large(base)
    wait_until(lambda: _edge_count(requests.get(base + "/metrics", timeout=10).text, "413",
                                   "payload-too-large") == before + 3, timeout=10, what="three more 413s counted")


def test_every_line_the_server_writes_is_json_with_millisecond_times(server):
    _, log = server
    lines = _lines(log)  # json.loads raises on any line that is not JSON
    assert lines and all(TIME.match(line["time"]) for line in lines), [line["time"] for line in lines[:3]]
