"""Input is read exactly as the contract spells it: nothing normalised, no
lenient fallbacks, and no well-formed oddity reaches a 500."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from datetime import UTC, datetime

import jwt
import pytest
from standardwebhooks import Webhook

from app.config import DEV_WEBHOOK_SECRET
from tests.conftest import SECRET, memory_settings, po_body


@pytest.fixture
def settings():
    return dataclasses.replace(memory_settings(), webhook_secrets={"acme": DEV_WEBHOOK_SECRET})


def raw_token(**claims) -> str:
    base = {"sub": "alice", "org": "org-1", "roles": ["requester"], "department": "eng",
            "exp": int(time.time()) + 3600}
    return jwt.encode({**base, **claims}, SECRET, algorithm="HS256")


def get_with(client, token: str, path: str = "/purchase-orders"):
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_a_token_within_its_lifetime_is_accepted(client):
    assert get_with(client, raw_token(iat=int(time.time()))).status_code == 200


@pytest.mark.parametrize("claims", [
    {"exp": str(int(time.time()) + 3600)},
    {"nbf": str(int(time.time()) - 10)},
    {"iat": str(int(time.time()))},
    {"exp": True},
], ids=["exp-string", "nbf-string", "iat-string", "exp-boolean"])
def test_time_claims_that_are_not_json_numbers_are_401(client, claims):
    response = get_with(client, raw_token(**claims))

    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/unauthenticated"


@pytest.mark.parametrize("claims", [
    {"exp": int(time.time()) + 25 * 3600},
    {"exp": 10**11},
    {"iat": int(time.time()) - 3600, "exp": int(time.time()) + 24 * 3600},
], ids=["25-hours", "centuries", "iat-then-24-hours-more"])
def test_a_token_living_longer_than_the_maximum_lifetime_is_401(client, claims):
    response = get_with(client, raw_token(**claims))

    assert response.status_code == 401
    assert "lives longer" in response.get_json()["detail"]


@pytest.mark.parametrize("claim", ["sub", "org", "department"])
@pytest.mark.parametrize("text", ["a\x00b", "a\nb", "a\x7fb", "a\x85b"], ids=["nul", "newline", "del", "nel"])
def test_text_claims_with_control_characters_are_401_not_500(client, claim, text):
    assert get_with(client, raw_token(**{claim: text})).status_code == 401


@pytest.mark.parametrize("price", ["1e3", "1_000.00", "\u0661\u0662.00", " 12.00", "12.00 ", "+5", "5.", ".5",
                                   "1.234", "0x10", "Infinity"])
def test_money_not_spelt_as_a_plain_decimal_string_is_refused_not_normalised(alice, price):
    body = po_body(lines=[{"sku": "A", "description": "a", "quantity": 1, "unit_price": price}])

    response = alice.post("/purchase-orders", body)

    assert response.status_code == 422
    assert [e["pointer"] for e in response.get_json()["errors"]] == ["/lines/0/unit_price"]


@pytest.mark.parametrize("price", ["1250.00", "7", "0.5"])
def test_plain_decimal_strings_are_money(alice, price):
    body = po_body(lines=[{"sku": "A", "description": "a", "quantity": 1, "unit_price": price}])

    assert alice.post("/purchase-orders", body).status_code == 201


def test_an_approval_limit_claim_in_exponent_form_is_401(client):
    assert get_with(client, raw_token(roles=["approver"], approval_limit="1e6")).status_code == 401


def test_a_money_query_bound_in_exponent_form_is_422(erin):
    response = erin.get("/purchase-orders?min_total=1e3")

    assert response.status_code == 422
    assert [e["pointer"] for e in response.get_json()["errors"]] == ["/min_total"]


def test_a_weak_if_match_is_a_malformed_request_and_changes_nothing(alice):
    po = alice.post("/purchase-orders", po_body()).get_json()

    refused = alice.post(f"/purchase-orders/{po['id']}/submit", headers={"If-Match": 'W/"1"'})

    assert refused.status_code == 400
    assert refused.get_json()["type"] == "/problems/malformed-request"
    assert alice.get(f"/purchase-orders/{po['id']}").get_json()["status"] == "draft"


@pytest.mark.parametrize("path", ["/purchase-orders/{id}?colour=red", "/purchase-orders/{id}/history?colour=red",
                                  "/healthz?colour=red"])
def test_unknown_query_parameters_are_422_on_single_resource_routes_too(alice, path):
    po = alice.post("/purchase-orders", po_body()).get_json()

    response = alice.get(path.format(id=po["id"]))

    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"pointer": "/colour", "detail": "Unknown field.",
                                              "code": "unknown-field"}]


def test_an_unknown_query_parameter_on_a_command_refuses_it_and_changes_nothing(alice):
    po = alice.post("/purchase-orders", po_body()).get_json()

    refused = alice.post(f"/purchase-orders/{po['id']}/submit?force=true", if_match=1)

    assert refused.status_code == 422
    assert alice.get(f"/purchase-orders/{po['id']}").get_json()["status"] == "draft"


def test_the_version_parameter_still_reads_an_earlier_version(alice):
    po = alice.post("/purchase-orders", po_body()).get_json()
    alice.command(po["id"], "submit", 1)

    assert alice.get(f"/purchase-orders/{po['id']}?version=1").get_json()["status"] == "draft"


def nested(depth: int) -> str:
    """JSON text of objects nested `depth` deep (json.dumps recurses, so by hand)."""
    return '{"x":' * depth + "{}" + "}" * depth


@pytest.mark.parametrize("depth", [40, 5000])
def test_a_command_body_nesting_too_deeply_is_a_malformed_request(alice, depth):
    body = json.dumps(po_body())[:-1] + f', "extra": {nested(depth)}}}'

    response = alice.client.post("/purchase-orders", data=body, headers={
        **alice.auth, "Idempotency-Key": "deep", "Content-Type": "application/json"})

    assert response.status_code == 400
    assert response.get_json()["type"] == "/problems/malformed-request"


@pytest.mark.parametrize("depth", [40, 5000])
def test_a_correctly_signed_callback_nesting_too_deeply_is_a_malformed_request_not_a_500(client, depth):
    raw = f'{{"type": "order.accepted", "clientRef": "{uuid.uuid4()}", "orderNo": {nested(depth)}}}'
    moment, webhook_id = datetime.now(UTC), f"msg_{uuid.uuid4().hex}"
    headers = {"webhook-id": webhook_id, "webhook-timestamp": str(int(moment.timestamp())),
               "webhook-signature": Webhook(DEV_WEBHOOK_SECRET).sign(webhook_id, moment, raw),
               "Content-Type": "application/json"}

    response = client.post("/callbacks/suppliers/acme", data=raw.encode(), headers=headers)

    assert response.status_code == 400
    assert response.get_json()["type"] == "/problems/malformed-request"



@pytest.fixture(scope="module")
def live_base(tmp_path_factory):
    from testkit.server import running_server

    env = {"PROCURA_SQLITE_PATH": str(tmp_path_factory.mktemp("live") / "procura.sqlite3"), "DATABASE_URL": "",
           "PROCURA_JWT_SECRET": SECRET}
    with running_server(env, workers=1, threads=4) as base:
        yield base


def send_chunked(base: str, body: bytes, key: str):
    import requests

    from tests.conftest import token

    def chunks():  # a generator body: requests sends it with Transfer-Encoding: chunked
        for start in range(0, len(body), 65536):
            yield body[start:start + 65536]

    return requests.post(f"{base}/purchase-orders", data=chunks(), timeout=30, headers={
        "Authorization": f"Bearer {token()}", "Idempotency-Key": key, "Content-Type": "application/json"})


@pytest.mark.external
def test_a_chunked_body_over_the_size_limit_is_413_not_a_json_error(live_base):
    body = json.dumps({**po_body(), "title": "x" * (2 * 1024 * 1024)}).encode()

    response = send_chunked(live_base, body, "chunked-big")

    assert response.status_code == 413
    assert response.json()["type"] == "/problems/payload-too-large"


@pytest.mark.external
def test_a_chunked_body_under_the_limit_is_read_whole(live_base):
    response = send_chunked(live_base, json.dumps(po_body()).encode(), "chunked-small")

    assert response.status_code == 201


@pytest.mark.parametrize("query", [
    "/purchase-orders?created_from=0001-01-01T00:00:00%2B01:00",
    "/purchase-orders?created_to=9999-12-31T23:59:59-01:00",
    "/reports/spend?from=0001-01-01T00:30:00%2B14:00",
    "/reports/cycle-times?to=9999-12-31T23:00:00-12:00",
])
def test_date_times_that_leave_the_calendar_in_utc_are_422_not_500(erin, query):
    response = erin.get(query)

    assert response.status_code == 422


@pytest.fixture
def on_postgres(pg_database_url):
    from app.bootstrap import build_services, create_app
    from tests.conftest import User, postgres_settings

    services = build_services(postgres_settings(pg_database_url))
    client = create_app(services=services).test_client()
    yield User(client), User(client, "erin", ("auditor",), department="finance")
    services.close()


def forged(cursor: str, **changes) -> str:
    """`cursor` with its members changed, encoded as Procura encodes cursors."""
    import base64

    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw = json.dumps({**data, **changes}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.postgres
@pytest.mark.parametrize("changes", [{"k": "2026\u0000"}, {"i": "id\u0000"}, {"k": "\ud800"},
                                     {"k": 2**70}], ids=["nul-value", "nul-id", "lone-surrogate", "huge-int"])
def test_a_forged_cursor_with_values_postgresql_cannot_hold_is_422_not_500(on_postgres, changes):
    alice, erin = on_postgres
    for _ in range(2):
        alice.post("/purchase-orders", po_body())
    sort = "total" if "k" in changes and isinstance(changes["k"], int) else "created_at"
    for follower in alice.client.application.extensions["procura"].followers():
        follower.catch_up()
    first = erin.get(f"/purchase-orders?limit=1&sort={sort}").get_json()

    response = erin.get(f"/purchase-orders?limit=1&sort={sort}&cursor={forged(first['next_cursor'], **changes)}")

    assert response.status_code == 422
    assert [e["pointer"] for e in response.get_json()["errors"]] == ["/cursor"]
