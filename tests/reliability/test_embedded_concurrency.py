"""The embedded default (SQLite, one server process with threads) is safe
under concurrent requests too."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from testkit.server import running_server
from tests.conftest import SECRET, po_body, token

pytestmark = pytest.mark.external


def test_concurrent_commands_on_the_embedded_default_are_each_applied_once(tmp_path):
    path = tmp_path / "embedded.sqlite3"
    env = {"DATABASE_URL": "", "PROCURA_SQLITE_PATH": str(path), "PROCURA_JWT_SECRET": SECRET}
    with running_server(env, workers=1, threads=8) as base:
        barrier = threading.Barrier(16)

        def create(index: int):
            key = "shared-key" if index % 2 else f"own-key-{index}"
            barrier.wait()
            return requests.post(f"{base}/purchase-orders", json=po_body(), timeout=30,
                                 headers={"Authorization": f"Bearer {token()}", "Idempotency-Key": key})

        with ThreadPoolExecutor(16) as pool:
            responses = list(pool.map(create, range(16)))
    assert {r.status_code for r in responses} <= {201, 409}
    assert all(r.status_code == 201 for i, r in enumerate(responses) if i % 2 == 0)
    shared = {r.json()["id"] for i, r in enumerate(responses) if i % 2 and r.status_code == 201}
    assert len(shared) == 1
    with sqlite3.connect(path) as db:
        created = db.execute("SELECT COUNT(*) FROM stored_events WHERE topic LIKE '%PurchaseOrder.Created'").fetchone()
    assert created == (9,)
