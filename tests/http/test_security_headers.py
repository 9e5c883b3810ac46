"""What a browser is told about every answer of a real `procura serve` on
PostgreSQL, behind the edge (HAProxy, then granian) and with gunicorn alone:
pages run only Procura's own script and style and are never framed, nothing is
sniffed into another type, nothing answered for a token is stored, and the
servers' own refusals say the same."""

from __future__ import annotations

import pytest
import requests

from harness.wire import build_request, raw_request
from testkit.server import running_server
from tests.conftest import SECRET, po_body, token

pytestmark = pytest.mark.postgres

PAGES = ["/console", "/console/spend?group_by=department", "/console/sign-in", "/docs",
         "/problems/version-conflict"]
DOCUMENT_POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}


@pytest.fixture(scope="module", params=["haproxy", "none"])
def server(request, module_pg_database_url):
    """Behind the edge (HAProxy, then granian) and gunicorn alone (PROCURA_EDGE=none)."""
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET, "PROCURA_EDGE": request.param}
    with running_server(env, workers=1, threads=4) as base:
        yield base


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive -> sources."""
    directives = [part.split() for part in response.headers["Content-Security-Policy"].split(";") if part.strip()]
    return {name: sources for name, *sources in directives}


def assert_never_framed_nor_sniffed(response) -> None:
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert policy(response)["frame-ancestors"] == ["'none'"]


def get(base: str, path: str, caller: str | None = None, **headers) -> requests.Response:
    if caller is not None:
        headers["Authorization"] = f"Bearer {caller}"
    return requests.get(base + path, headers=headers, timeout=10)


ANALYST = token(sub="dana", roles=("analyst",))


@pytest.mark.parametrize("path", PAGES)
def test_pages_run_only_procuras_own_script_and_style_and_are_never_framed(server, path):
    response = get(server, path)

    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/html")
    assert_never_framed_nor_sniffed(response)
    directives = policy(response)
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == directives["style-src"] == directives["connect-src"] == ["'self'"]
    assert (directives["base-uri"], directives["form-action"]) == (["'none'"], ["'self'"])
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-cache"  # the same for everyone: stored, revalidated


def test_json_answered_for_a_token_is_never_stored_and_runs_nothing(server):
    alice = token()
    created = requests.post(server + "/purchase-orders", json=po_body(), timeout=10,
                            headers={"Authorization": f"Bearer {alice}", "Idempotency-Key": "headers-create"})
    assert created.status_code in (200, 201)
    for response in (created, get(server, f"/purchase-orders/{created.json()['id']}", alice),
                     get(server, "/purchase-orders", alice), get(server, "/reports/spend", ANALYST)):
        assert response.status_code in (200, 201) and response.headers["Content-Type"] == "application/json"
        assert_never_framed_nor_sniffed(response)
        assert policy(response) == DOCUMENT_POLICY
        assert response.headers["Cache-Control"] == "no-store"


def test_the_spend_csv_is_never_stored_and_runs_nothing(server):
    response = get(server, "/reports/spend?group_by=supplier", ANALYST, Accept="text/csv")

    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    assert_never_framed_nor_sniffed(response)
    assert policy(response) == DOCUMENT_POLICY
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("caller, path, status", [
    (None, "/purchase-orders", 401),
    ("not-a-token", "/purchase-orders", 401),
    (token(), "/purchase-orders/00000000-0000-4000-8000-000000000000", 404),
    (token(), "/purchase-orders?limit=0", 422),
    (token(roles=("requester",)), "/reports/spend", 403),
], ids=["no-token", "bad-token", "not-found", "bad-query", "forbidden"])
def test_problems_are_never_stored_and_run_nothing(server, caller, path, status):
    response = get(server, path, caller)

    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert_never_framed_nor_sniffed(response)
    assert policy(response) == DOCUMENT_POLICY
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/openapi.json", "/docs/init.js", "/docs/static/swagger-ui.css",
                                  "/console/static/console.js", "/docs/behaviour.md"])
def test_public_documents_may_be_stored_but_are_revalidated_and_run_nothing(server, path):
    response = get(server, path)

    assert response.status_code == 200
    assert_never_framed_nor_sniffed(response)
    assert policy(response) == DOCUMENT_POLICY
    assert response.headers["Cache-Control"] == "no-cache"
    assert get(server, path, token()).headers["Cache-Control"] == "no-store"  # asked with a token: the caller's


def test_health_answers_are_never_stored(server):
    response = get(server, "/readyz")

    assert response.status_code == 200
    assert_never_framed_nor_sniffed(response)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("headers, path", [
    ({"X-Big": "y" * 100_000}, "/purchase-orders"),
    ({}, "/purchase-orders/" + "a" * 10_000),
], ids=["a-header-of-100-KiB", "a-request-line-of-10-KB"])
def test_the_servers_own_refusals_carry_the_same_headers(server, headers, path):
    answer = raw_request(server, build_request("GET", path, server, headers))

    assert (answer.status, answer.headers["content-type"]) == (400, "application/problem+json")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert answer.headers["cache-control"] == "no-store"


def test_a_body_over_the_limit_is_refused_with_the_same_headers(server):
    response = requests.post(server + "/purchase-orders", data=b"x" * 1_100_000, timeout=30,
                             headers={"Authorization": f"Bearer {token()}", "Content-Type": "application/json",
                                      "Idempotency-Key": "headers-too-large"})

    assert (response.status_code, response.headers["Content-Type"]) == (413, "application/problem+json")
    assert_never_framed_nor_sniffed(response)
    assert policy(response) == DOCUMENT_POLICY
    assert response.headers["Cache-Control"] == "no-store"
