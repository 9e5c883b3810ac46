"""The demo users' tokens are handed out only where anyone could mint them:
the embedded default verifying with its published development secret."""

from __future__ import annotations

import dataclasses

import pytest

from app.bootstrap import build_services, create_app
from app.config import DEV_JWT_SECRET, IdentityProvider, Settings
from app.console import offers_demo_tokens
from app.console.demo_users import USERS
from tests.conftest import memory_settings


@pytest.fixture
def embedded_client():
    services = build_services(Settings(in_memory=True, jwt_secret=DEV_JWT_SECRET))
    yield create_app(services=services).test_client()
    services.close()


def test_the_embedded_default_lists_every_demo_user_with_a_token_the_api_accepts(embedded_client):
    users = embedded_client.get("/console/demo-users").get_json()["users"]
    assert [u["name"] for u in users] == list(USERS)
    dave = next(u for u in users if u["name"] == "dave")
    assert embedded_client.get("/reports/spend", headers={"Authorization": f"Bearer {dave['token']}"}).status_code == 200


def test_a_server_with_its_own_secret_has_no_demo_users():
    services = build_services(memory_settings())
    try:
        response = create_app(services=services).test_client().get("/console/demo-users")
    finally:
        services.close()
    assert response.status_code == 404
    assert response.get_json()["type"] == "/problems/not-found"


def test_a_server_with_a_database_url_or_an_identity_provider_has_no_demo_users():
    with_database = Settings(database_url="postgresql://db.example/procura", jwt_secret=DEV_JWT_SECRET)
    with_provider = dataclasses.replace(Settings(jwt_secret=DEV_JWT_SECRET), identity=IdentityProvider(
        jwks_url="https://idp.example/jwks", issuer="https://idp.example", audience="procura"))
    assert not offers_demo_tokens(with_database)
    assert not offers_demo_tokens(with_provider)
    assert offers_demo_tokens(Settings(jwt_secret=DEV_JWT_SECRET))
