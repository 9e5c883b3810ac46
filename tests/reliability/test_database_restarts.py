"""PostgreSQL restarting (a private cluster, never the shared server): once
it accepts connections again, no request fails. Every pooled connection
the restart broke fails its checkout check; each is dropped and the next
taken at once, so the first requests after a restart wait only for a new
connection, not for the pool's backoff (they got 503 after 3 s before).

RESTARTS (default 8) restarts; 20 for the figures in docs/developers/reliability.md."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import requests

from testkit.pg_cluster import private_cluster
from testkit.server import running_server
from tests.conftest import SECRET, po_body, token

pytestmark = pytest.mark.postgres

RESTARTS = int(os.environ.get("RESTARTS", "8"))
HEADERS = {"Authorization": f"Bearer {token()}"}


def _create(base: str) -> int:
    return requests.post(base + "/purchase-orders", json=po_body(), timeout=30,
                         headers={**HEADERS, "Idempotency-Key": str(uuid.uuid4())}).status_code


def test_the_first_creates_after_the_database_restarts_all_succeed():
    with private_cluster() as cluster, running_server(
            {"DATABASE_URL": cluster.url, "PROCURA_JWT_SECRET": SECRET}, workers=2, threads=4) as base:
        after_restarts = []
        for n in range(RESTARTS):
            warm = [_create(base) for _ in range(6)]  # every worker's pool holds connections
            assert set(warm) == {201}, warm
            # Connections last used just now and a while ago (pinged when idle for over 1 s).
            time.sleep(0.2 if n % 2 else 1.5)  # the idle time before the restart, the variable under test
            cluster.restart()  # returns once the server accepts connections
            after_restarts.append([_create(base) for _ in range(4)])
    assert after_restarts == [[201] * 4] * RESTARTS
