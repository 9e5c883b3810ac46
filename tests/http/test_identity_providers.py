"""Tokens from a real identity provider: keys from its JWKS (directly or
through OpenID discovery), issuer and audience checked, claims mapped to
Procura's caller, and the provider's outages answered without a 401 or 500."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid

import pytest
import requests

from app.bootstrap import build_services, create_app
from app.config import ClaimPaths, IdentityProvider
from testkit.identity_provider import AUDIENCE, FakeIdentityProvider, SigningKey, hmac_signed
from testkit.server import free_port, running_server, wait_until
from tests.conftest import memory_settings, po_body, token

RSA_KEY = SigningKey.rsa("rsa-1")
EC_KEY = SigningKey.ec("ec-1")


@pytest.fixture
def provider():
    started = FakeIdentityProvider(RSA_KEY, EC_KEY)
    yield started
    started.stop()


@pytest.fixture
def procura():
    """Start Procura (a Flask test client) trusting an identity provider."""
    built = []

    def start(jwks_url: str | None, issuer: str, **changes):
        identity = IdentityProvider(jwks_url=jwks_url, issuer=issuer, audience=AUDIENCE, **changes)
        services = build_services(dataclasses.replace(memory_settings(), identity=identity))
        built.append(services)
        return create_app(services=services).test_client()

    yield start
    for services in built:
        services.close()


@pytest.fixture
def client(provider, procura):
    return procura(provider.jwks_url, provider.issuer, refresh_interval_seconds=0)


def bearer(token_text: str) -> dict:
    return {"Authorization": f"Bearer {token_text}"}


def list_orders(client, token_text: str):
    return client.get("/purchase-orders", headers=bearer(token_text))


def test_an_rs256_token_from_the_provider_is_accepted(client, provider):
    assert list_orders(client, RSA_KEY.sign(provider.claims())).status_code == 200


def test_an_es256_token_from_the_provider_is_accepted(client, provider):
    assert list_orders(client, EC_KEY.sign(provider.claims())).status_code == 200


REFUSED = {
    "another issuer": (lambda p: RSA_KEY.sign(p.claims(iss="https://elsewhere.example"))),
    "another audience": (lambda p: RSA_KEY.sign(p.claims(aud="someone-else"))),
    "expired": (lambda p: RSA_KEY.sign(p.claims(iat=int(time.time()) - 120, exp=int(time.time()) - 60))),
    "not yet valid": (lambda p: RSA_KEY.sign(p.claims(nbf=int(time.time()) + 300))),
    "an algorithm not in the allow-list": (lambda p: RSA_KEY.sign(p.claims(), algorithm="RS512")),
    "a kid the provider does not publish": (lambda p: RSA_KEY.sign(p.claims(), kid="never-published")),
    "no issuer at all": (lambda p: RSA_KEY.sign({k: v for k, v in p.claims().items() if k != "iss"})),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_a_provider_token_that_is_wrong_in_one_way_is_401(client, provider, kind):
    response = list_orders(client, REFUSED[kind](provider))
    assert response.status_code == 401
    assert response.get_json()["type"].endswith("/unauthenticated")


def test_a_token_expired_within_the_leeway_is_still_accepted(provider, procura):
    client = procura(provider.jwks_url, provider.issuer, leeway_seconds=60)
    now = int(time.time())
    assert list_orders(client, RSA_KEY.sign(provider.claims(iat=now - 300, exp=now - 5))).status_code == 200


def test_an_hs256_token_keyed_with_the_providers_public_key_is_401(client, provider):
    forged = hmac_signed(provider.claims(roles=["admin"]), RSA_KEY.public_pem(), RSA_KEY.kid)
    assert list_orders(client, forged).status_code == 401


def test_a_token_made_with_the_shared_secret_is_401_when_a_provider_is_configured(client):
    assert list_orders(client, token()).status_code == 401


def test_a_token_with_only_roles_procura_does_not_know_is_401(client, provider):
    response = list_orders(client, RSA_KEY.sign(provider.claims(roles=["offline_access"])))
    assert response.status_code == 401


def test_a_rotated_key_is_accepted_without_a_restart_and_the_retired_one_refused(client, provider):
    assert list_orders(client, RSA_KEY.sign(provider.claims())).status_code == 200
    new_key = SigningKey.rsa("rsa-2")
    provider.publish(new_key)
    assert list_orders(client, new_key.sign(provider.claims())).status_code == 200
    assert list_orders(client, RSA_KEY.sign(provider.claims(sub="bob"))).status_code == 401


def test_cached_keys_keep_working_while_the_provider_is_down(client, provider):
    assert list_orders(client, EC_KEY.sign(provider.claims())).status_code == 200
    provider.stop()
    provider.stop = lambda: None  # the fixture's own stop has nothing left to do
    assert list_orders(client, EC_KEY.sign(provider.claims(sub="bob"))).status_code == 200
    assert list_orders(client, RSA_KEY.sign(provider.claims(sub="carol"))).status_code == 200


@pytest.mark.parametrize("through", ["jwks_url", "discovery"])
def test_a_provider_down_from_the_start_is_503_with_retry_after(procura, through):
    nowhere = f"http://127.0.0.1:{free_port()}"
    if through == "jwks_url":
        client = procura(nowhere + "/jwks", nowhere)
    else:
        client = procura(None, nowhere, oidc_issuer=nowhere)
    response = list_orders(client, RSA_KEY.sign({"iss": nowhere, "aud": AUDIENCE, "sub": "alice", "org": "org-1",
                                                 "roles": ["requester"], "exp": int(time.time()) + 600}))
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.get_json()["dependency"] == "identity provider"


def test_keys_are_found_through_openid_discovery(provider, procura):
    client = procura(None, provider.issuer, oidc_issuer=provider.issuer)
    assert list_orders(client, EC_KEY.sign(provider.claims())).status_code == 200


KEYCLOAK = {"claims": ClaimPaths(roles="realm_access.roles", org="procura_org"),
            "role_map": {"po-requester": "requester", "po-approver": "approver"}}


def test_a_keycloak_shaped_token_creates_an_order_in_its_mapped_org(provider, procura):
    client = procura(provider.jwks_url, provider.issuer, **KEYCLOAK)
    claims = provider.claims(realm_access={"roles": ["offline_access", "uma_authorization", "po-requester"]},
                             procura_org="acme-corp")
    del claims["roles"], claims["org"]
    response = client.post("/purchase-orders", json=po_body(),
                           headers={**bearer(RSA_KEY.sign(claims)), "Idempotency-Key": str(uuid.uuid4())})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["org"] == "acme-corp"


def test_a_keycloak_shaped_approver_has_an_approval_queue(provider, procura):
    client = procura(provider.jwks_url, provider.issuer, **KEYCLOAK)
    claims = provider.claims(realm_access={"roles": ["offline_access", "po-approver"]}, procura_org="acme-corp",
                             approval_limit="5000.00")
    assert client.get("/approvals/queue", headers=bearer(RSA_KEY.sign(claims))).status_code == 200


def test_an_auth0_shaped_token_with_namespaced_claims_maps_roles_and_org(provider, procura):
    namespace = "https://procura.example/"
    client = procura(provider.jwks_url, provider.issuer,
                     claims=ClaimPaths(roles=namespace + "roles", org=namespace + "org"))
    claims = provider.claims(**{namespace + "roles": ["approver"], namespace + "org": "org-9"})
    del claims["roles"], claims["org"]
    signed = EC_KEY.sign(claims)
    assert client.get("/approvals/queue", headers=bearer(signed)).status_code == 200
    created = client.post("/purchase-orders", json=po_body(),
                          headers={**bearer(signed), "Idempotency-Key": str(uuid.uuid4())})
    assert created.status_code == 403  # an approver only, as the claim says


def test_a_hundred_random_kids_cause_a_bounded_number_of_jwks_fetches(provider, procura):
    client = procura(provider.jwks_url, provider.issuer, refresh_interval_seconds=60)
    for _ in range(100):
        assert list_orders(client, RSA_KEY.sign(provider.claims(), kid=uuid.uuid4().hex)).status_code == 401
    assert provider.jwks_fetches <= 2


def server_env(tmp_path, issuer: str, jwks_url: str) -> dict[str, str]:
    return {"PROCURA_SQLITE_PATH": str(tmp_path / "procura.sqlite3"), "PROCURA_JWT_JWKS_URL": jwks_url,
            "PROCURA_JWT_ISSUER": issuer, "PROCURA_JWT_AUDIENCE": AUDIENCE}


@pytest.mark.external
def test_a_running_server_accepts_an_es256_token_from_the_provider(provider, tmp_path):
    with running_server(server_env(tmp_path, provider.issuer, provider.jwks_url), workers=1) as base:
        response = requests.get(base + "/purchase-orders", headers=bearer(EC_KEY.sign(provider.claims())), timeout=10)
    assert response.status_code == 200


@pytest.mark.external
def test_a_running_server_whose_provider_is_down_from_the_start_answers_503(tmp_path):
    nowhere = f"http://127.0.0.1:{free_port()}"
    with running_server(server_env(tmp_path, nowhere, nowhere + "/jwks"), workers=1) as base:
        claims = {"iss": nowhere, "aud": AUDIENCE, "sub": "alice", "org": "org-1", "roles": ["requester"],
                  "exp": int(time.time()) + 600}
        response = requests.get(base + "/purchase-orders", headers=bearer(RSA_KEY.sign(claims)), timeout=10)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json()["dependency"] == "identity provider"


@pytest.mark.external
def test_an_unknown_kid_while_a_slow_jwks_fetch_is_under_way_is_answered_without_waiting_for_it(
        provider, pg_database_url):
    env = {"DATABASE_URL": pg_database_url, "PROCURA_JWT_JWKS_URL": provider.jwks_url,
           "PROCURA_JWT_ISSUER": provider.issuer, "PROCURA_JWT_AUDIENCE": AUDIENCE,
           "PROCURA_JWKS_REFRESH_INTERVAL": "0"}
    valid = bearer(RSA_KEY.sign(provider.claims()))
    with running_server(env, workers=1) as base:
        assert requests.get(base + "/purchase-orders", headers=valid, timeout=10).status_code == 200
        provider.hold()
        first = []
        fetching = threading.Thread(target=lambda: first.append(requests.get(
            base + "/purchase-orders", headers=bearer(RSA_KEY.sign(provider.claims(), kid="made-up-1")), timeout=30)))
        fetching.start()
        wait_until(lambda: provider.held_fetches, timeout=10, interval=0.01, what="a JWKS fetch under way")
        started = time.monotonic()
        unknown = requests.get(base + "/purchase-orders",
                               headers=bearer(RSA_KEY.sign(provider.claims(), kid="made-up-2")), timeout=30)
        waited = time.monotonic() - started
        still_valid = requests.get(base + "/purchase-orders", headers=valid, timeout=10)
        fetch_under_way = provider.held_fetches
        provider.release()
        fetching.join()
    assert fetch_under_way, "the first fetch ended before the second request was answered"
    assert unknown.status_code == 401 and unknown.json()["type"] == "/problems/unauthenticated"
    assert waited < 1.0, f"waited {waited:.2f} s for another request's JWKS fetch"
    assert still_valid.status_code == 200
    assert first[0].status_code == 401  # its fetch timed out; the keys already fetched still hold
