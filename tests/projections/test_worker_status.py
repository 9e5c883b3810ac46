"""`procura worker --status-port` tells a supervisor how it is, through a
real worker process: /healthz 200 while its processors complete their
passes, 503 naming them once the database has failed them for
PROCURA_WORKER_FAILING_SECONDS (a private PostgreSQL, stopped), and 200
again once it is back; /metrics carries its pool."""

from __future__ import annotations

import pytest
import requests

from testkit.pg_cluster import private_cluster
from testkit.server import free_port, running_worker, wait_until
from tests.conftest import SECRET

pytestmark = pytest.mark.postgres


def _health(port: int) -> tuple[int, dict] | None:
    try:
        answer = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    except requests.RequestException:
        return None
    return answer.status_code, answer.json()


def test_the_workers_health_follows_its_database():
    port = free_port()
    with private_cluster() as cluster, running_worker(
            {"DATABASE_URL": cluster.url, "PROCURA_JWT_SECRET": SECRET, "PROCURA_WORKER_STATUS_PORT": str(port),
             "PROCURA_WORKER_FAILING_SECONDS": "2"}):
        healthy = wait_until(lambda: _health(port), 30, what="the worker's status port")
        cluster.stop()
        failing = wait_until(lambda: (h := _health(port)) and h[0] == 503 and h, 30, interval=0.2,
                             what="the worker to report failing")
        cluster.start()
        recovered = wait_until(lambda: (h := _health(port)) and h[0] == 200 and h, 60, interval=0.2,
                               what="the worker to recover")
    assert healthy == (200, {"status": "ok"})
    assert failing[1]["status"] == "failing"
    assert "po_summary" in ",".join(failing[1]["failing"])  # the read models' shared fan-out among them
    assert recovered == (200, {"status": "ok"})


def test_the_workers_metrics_show_its_connection_pool(pg_database_url):
    port = free_port()
    with running_worker({"DATABASE_URL": pg_database_url, "PROCURA_JWT_SECRET": SECRET,
                         "PROCURA_WORKER_STATUS_PORT": str(port)}):
        text = wait_until(lambda: _metrics_with_pool(port), 30, what="pool gauges on the worker's /metrics")
    assert 'procura_db_pool_connections{state="open"}' in text


def _metrics_with_pool(port: int) -> str | None:
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except requests.RequestException:
        return None
    return text if "procura_db_pool_connections{" in text else None
