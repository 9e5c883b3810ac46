"""What operators see: one JSON log line per request and Prometheus metrics."""

from __future__ import annotations

import json
import logging
import re

import pytest

from app.config import DEV_WEBHOOK_SECRET
from app.http.observability import command_outcome
from app.telemetry.logs import JsonFormatter
from testkit.server import running_server, serving_process, wait_until
from tests.conftest import SECRET, po_body, token


def sample(text: str, name: str, **labels) -> float:
    """The value of one sample in Prometheus text (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}}") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_every_request_logs_one_json_line_with_who_what_and_how_long(alice, caplog):
    handler = logging.Handler()
    lines = []
    handler.emit = lambda record: lines.append(JsonFormatter().format(record))
    logging.getLogger("procura.requests").addHandler(handler)
    try:
        alice.post("/purchase-orders", po_body(), key="logged-key", headers={"X-Request-Id": "req-log-1"})
    finally:
        logging.getLogger("procura.requests").removeHandler(handler)
    entry = json.loads(lines[-1])
    assert (entry["request_id"], entry["principal"], entry["route"], entry["status"]) == \
        ("req-log-1", "org-1/alice", "/purchase-orders", 201)
    assert entry["command_id"] == "logged-key" and entry["latency_ms"] >= 0


@pytest.mark.parametrize(("status", "slug", "replayed", "outcome"), [
    (201, None, False, "applied"), (200, None, True, "replayed"), (409, "version-conflict", False, "conflict"),
    (409, "illegal-transition", False, "illegal"), (403, "forbidden", False, "forbidden"),
    (422, "validation-error", False, "invalid"), (400, "malformed-request", False, "invalid"),
])
def test_command_answers_are_counted_by_outcome(status, slug, replayed, outcome):
    assert command_outcome(status, slug, replayed) == outcome


def test_metrics_count_commands_and_time_requests(client, alice):
    before = client.get("/metrics").get_data(as_text=True)
    alice.post("/purchase-orders", po_body(), key="m1")
    alice.post("/purchase-orders", po_body(), key="m1")
    after = client.get("/metrics").get_data(as_text=True)
    for outcome in ("applied", "replayed"):
        assert sample(after, "procura_command_outcomes_total", command="create", outcome=outcome) == \
            sample(before, "procura_command_outcomes_total", command="create", outcome=outcome) + 1
    assert re.search(r'procura_http_request_duration_seconds_count\{method="POST",route="/purchase-orders",'
                     r'status="201"\} \d', after)


def settled_metrics(base: str, done) -> str:
    """A live server's /metrics once `done(text)`: a request is counted just
    after its answer was sent, so the last one may still be on its way."""
    import requests

    texts = []

    def fetched() -> bool:
        texts.append(requests.get(f"{base}/metrics", timeout=10).text)
        return done(texts[-1])

    wait_until(fetched, 10, what="every request to be counted")
    return texts[-1]


@pytest.mark.external
@pytest.mark.postgres
def test_metrics_add_up_every_server_workers_samples(pg_database_url):
    import requests

    def applied(text: str) -> float:
        return sample(text, "procura_command_outcomes_total", command="create", outcome="applied")

    with running_server({"DATABASE_URL": pg_database_url, "PROCURA_JWT_SECRET": SECRET}, workers=2) as base:
        headers = {"Authorization": f"Bearer {token()}"}
        for i in range(8):
            requests.post(f"{base}/purchase-orders", json=po_body(), timeout=10,
                          headers={**headers, "Idempotency-Key": f"gm-{i}"})
        text = settled_metrics(base, lambda text: applied(text) >= 8)
    assert applied(text) == 8
    assert 'procura_projection_lag_events{projection="po_summary"}' in text


@pytest.mark.external
@pytest.mark.postgres
def test_the_servers_start_up_lines_are_json_and_carry_no_warning(pg_database_url, tmp_path):
    log = tmp_path / "server.log"
    env = {"DATABASE_URL": pg_database_url, "PROCURA_JWT_SECRET": SECRET,
           "PROCURA_WEBHOOK_SECRETS": f"acme={DEV_WEBHOOK_SECRET}"}
    with serving_process(env, workers=2, log=log):
        pass
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    assert any(line["logger"] == "_granian" for line in lines)
    assert [line["message"] for line in lines if line["level"] in ("warning", "error", "critical")] == []


@pytest.mark.external
def test_made_up_methods_are_counted_as_other_so_metrics_stay_bounded(tmp_path):
    import requests

    env = {"PROCURA_SQLITE_PATH": str(tmp_path / "procura.sqlite3"), "DATABASE_URL": ""}
    def others(text: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith("procura_http_request_duration_seconds_count{") and 'method="other"' in line)

    with running_server(env, workers=1, threads=4) as base:
        for i in range(40):
            requests.request(f"MADEUP{i}", f"{base}/healthz", timeout=10)
        text = settled_metrics(base, lambda text: others(text) >= 40)
    assert "MADEUP" not in text
    assert others(text) == 40


@pytest.mark.external
def test_metrics_name_the_release_and_schema_and_their_charset_once(tmp_path):
    import requests

    from app.schema import release
    from app.schema.steps import load_steps

    env = {"PROCURA_SQLITE_PATH": str(tmp_path / "procura.sqlite3"), "DATABASE_URL": ""}
    with running_server(env, workers=1, threads=2) as base:
        answer = requests.get(f"{base}/metrics", timeout=10)
    assert answer.headers["Content-Type"].count("charset") == 1
    assert f'procura_build_info{{release="{release()}",schema="{len(load_steps("sqlite"))}"}} 1.0' in answer.text


@pytest.mark.external
@pytest.mark.postgres
def test_the_servers_metrics_show_its_connection_pool(pg_database_url):
    env = {"DATABASE_URL": pg_database_url, "PROCURA_JWT_SECRET": SECRET}
    with running_server(env, workers=2, threads=2) as base:
        text = settled_metrics(base, lambda text: 'procura_db_pool_connections{state="open"}' in text)
    opened = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
              if line.startswith('procura_db_pool_connections{state="open"}')]
    assert opened and opened[0] >= 1
