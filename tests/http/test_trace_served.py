"""GET /trace through a real `procura serve` and `procura worker` on
PostgreSQL: the worker indexes what the server writes, and a client that
passes its Event-Position as `min_position` reads its own writes in the
trace, page by page, and only its own organisation's."""

from __future__ import annotations

import pytest
import requests

from testkit.server import running_server, wait_until
from tests.conftest import SECRET, po_body, token
from tests.projections.test_worker_processes import worker

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def served(module_pg_database_url):
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET}
    with running_server(env, workers=1) as base, worker(module_pg_database_url):
        yield base


def auth(sub: str, roles: tuple, org: str = "org-1") -> dict:
    return {"Authorization": f"Bearer {token(sub, roles, org=org)}"}


def create(base: str, key: str, correlation: str) -> requests.Response:
    answer = requests.post(base + "/purchase-orders", json=po_body(), timeout=10,
                           headers={**auth("alice", ("requester",)), "Idempotency-Key": key,
                                    "X-Correlation-Id": correlation})
    assert answer.status_code == 201, answer.text
    return answer


def trace(base: str, value: str, who: dict, **query) -> requests.Response:
    """The trace, retried as a client would while the index is behind
    `min_position` (503 projection-behind after its 2 s wait)."""
    def answered():
        answer = requests.get(base + "/trace", params={"id": value, **query}, headers=who, timeout=10)
        behind = answer.status_code == 503 and answer.json().get("type") == "/problems/projection-behind"
        return None if behind else answer

    return wait_until(answered, 30, interval=0.1, what="the support index to reach min_position")


def test_a_correlation_chain_written_through_the_server_is_traced_page_by_page_once_the_worker_indexed_it(served):
    created = [create(served, f"served-{n}", "served-run") for n in range(5)]
    last = created[-1].headers["Event-Position"]
    auditor, seen, cursor = auth("erin", ("auditor",)), [], None
    while True:
        page = trace(served, "served-run", auditor, limit=2, min_position=last,
                     **({"cursor": cursor} if cursor else {}))
        assert page.status_code == 200, page.text
        assert int(page.headers["Projection-Position"]) >= int(last)
        seen.append([e["position"] for e in page.json()["events"]])
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == [[int(r.headers["Event-Position"]) for r in created][i:i + 2] for i in (0, 2, 4)]


def test_the_same_ids_traced_by_another_orgs_auditor_find_nothing(served):
    created = create(served, "served-private", "served-private-run")
    po_id, position = created.json()["id"], created.headers["Event-Position"]
    outsider = auth("mallory", ("admin",), org="org-2")
    for value in (po_id, "served-private", "served-private-run", created.headers["X-Request-Id"]):
        answer = trace(served, value, outsider, min_position=position)
        assert answer.status_code == 200, answer.text
        assert (answer.json()["events"], answer.json()["commands"]) == ([], []), value
    assert trace(served, po_id, auth("erin", ("auditor",)), min_position=position).json()["events"] != []
