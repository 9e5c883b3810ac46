"""PostgreSQL stops while Procura serves (a private cluster, never the shared
server): clients get quick 503s, health stays up, and nothing acknowledged is
lost when the database returns."""

from __future__ import annotations

import threading

import psycopg
import pytest
import requests

from testkit.pg_cluster import private_cluster
from testkit.server import running_server, wait_until
from tests.conftest import SECRET, po_body, token

pytestmark = pytest.mark.postgres


def post(base, path, key, body=None, **headers):
    return requests.post(base + path, json=body, timeout=15,
                         headers={"Authorization": f"Bearer {token()}", "Idempotency-Key": key, **headers})


def _unless_503(response):
    return None if response.status_code == 503 else response


def test_a_database_outage_gives_503s_and_the_service_recovers_without_restart():
    with private_cluster() as cluster, running_server(
            {"DATABASE_URL": cluster.url, "PROCURA_JWT_SECRET": SECRET, "PROCURA_DB_TIMEOUT": "2"}) as base:
        before = post(base, "/purchase-orders", "before-outage", po_body())
        assert before.status_code == 201
        cluster.stop()
        during = post(base, "/purchase-orders", "during-outage", po_body())
        assert during.status_code == 503 and during.json()["type"] == "/problems/dependency-unavailable"
        assert int(during.headers["Retry-After"]) >= 1
        read = requests.get(f"{base}/purchase-orders/{before.json()['id']}", timeout=15,
                            headers={"Authorization": f"Bearer {token()}"})
        assert read.status_code == 503
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        assert requests.get(f"{base}/readyz", timeout=15).status_code == 503
        cluster.start()
        wait_until(lambda: requests.get(f"{base}/readyz", timeout=15).status_code == 200, timeout=30,
                   what="readiness after the database returns")
        # Like a real client: retry the 503'd command with the same key until it
        # goes through (another worker's pool may still be reconnecting).
        retried = wait_until(lambda: _unless_503(post(base, "/purchase-orders", "during-outage", po_body())),
                             timeout=30, what="the retried command to go through")
        assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
        replayed = wait_until(lambda: _unless_503(post(base, "/purchase-orders", "before-outage", po_body())),
                              timeout=30, what="the replay to go through")
        assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.json()["id"] == before.json()["id"]


def test_more_requests_than_connections_wait_briefly_then_get_503_not_a_hang():
    env = {"PROCURA_JWT_SECRET": SECRET, "PROCURA_DB_POOL_SIZE": "1", "PROCURA_DB_MAX_OVERFLOW": "0",
           "PROCURA_DB_TIMEOUT": "1", "PROCURA_STATEMENT_TIMEOUT": "3"}
    with private_cluster() as cluster, running_server({**env, "DATABASE_URL": cluster.url}, workers=1) as base:
        po = post(base, "/purchase-orders", "pool-1", po_body()).json()["id"]
        with psycopg.connect(cluster.url, autocommit=False) as blocker:
            # Hold a lock that every read of the events table waits for.
            blocker.execute("LOCK TABLE procura_events IN ACCESS EXCLUSIVE MODE")
            answers = []

            def read():
                answers.append(requests.get(f"{base}/purchase-orders/{po}", timeout=20,
                                            headers={"Authorization": f"Bearer {token()}"}))

            threads = [threading.Thread(target=read) for _ in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            blocker.rollback()
        assert sorted(a.status_code for a in answers) == [503] * 4
        assert all(a.json()["type"] == "/problems/dependency-unavailable" for a in answers)
        assert requests.get(f"{base}/purchase-orders/{po}", timeout=10,
                            headers={"Authorization": f"Bearer {token()}"}).status_code == 200
