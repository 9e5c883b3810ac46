"""A database that cannot be reached gives 503 dependency-unavailable, fast."""

from __future__ import annotations

import psycopg
import pytest

from app.bootstrap import build_services, create_app
from testkit.pg import PG_ADMIN_URL
from tests.conftest import User, po_body, postgres_settings

pytestmark = pytest.mark.postgres


def test_commands_and_reads_answer_503_with_retry_after_when_the_database_is_gone(pg_database_url):
    services = build_services(postgres_settings(pg_database_url))
    client = create_app(services=services).test_client()
    alice = User(client)
    po = alice.create().get_json()["id"]
    name = pg_database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    try:
        for response in (alice.post("/purchase-orders", po_body(), key="during-outage"),
                         alice.get(f"/purchase-orders/{po}"),
                         client.get("/readyz")):
            body = response.get_json()
            assert response.status_code == 503, body
            assert body["type"] == "/problems/dependency-unavailable" and body["dependency"] == "database"
            assert int(response.headers["Retry-After"]) > 0
        assert client.get("/healthz").status_code == 200
    finally:
        services.close()
