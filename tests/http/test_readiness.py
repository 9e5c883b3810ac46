"""/readyz tells the truth about the read models, through a real `procura
serve` on PostgreSQL: with events waiting and no worker moving them for
PROCURA_READ_MODEL_STALE_SECONDS they are reported stale (still 200: the
API serves commands without them), and current once a worker catches up."""

from __future__ import annotations

import pytest
import requests

from testkit.server import running_worker, wait_until
from tests.conftest import SECRET, server_with_an_unprojected_po

pytestmark = pytest.mark.postgres


@pytest.fixture
def server_without_a_worker(pg_database_url):
    with server_with_an_unprojected_po(pg_database_url, threads=2, PROCURA_READ_MODEL_STALE_SECONDS="1") as (base, _):
        yield base, pg_database_url


def _read_models(base: str) -> tuple[int, dict]:
    answer = requests.get(base + "/readyz", timeout=10)
    return answer.status_code, answer.json()["read_models"]


def test_read_models_no_worker_moves_are_reported_stale_while_the_server_stays_ready(server_without_a_worker):
    base, _ = server_without_a_worker
    status, read_models = wait_until(lambda: (s := _read_models(base))[1]["state"] == "stale" and s, 15,
                                     interval=0.2, what="/readyz to report stale read models")
    assert status == 200
    assert "po_summary" in read_models["stale"] and read_models["behind_events"] >= 1


def test_read_models_are_current_once_a_worker_has_caught_up(server_without_a_worker):
    base, url = server_without_a_worker
    with running_worker({"DATABASE_URL": url, "PROCURA_JWT_SECRET": SECRET}):
        _, read_models = wait_until(lambda: (s := _read_models(base))[1]["state"] == "current" and s, 30,
                                    interval=0.2, what="/readyz to report current read models")
    assert read_models == {"state": "current", "behind_events": 0, "stale": []}
