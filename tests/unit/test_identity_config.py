"""The identity provider's settings: what Procura needs to trust its tokens
is required at start, and a bad value names its variable."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_settings

JWKS = {"PROCURA_JWT_JWKS_URL": "https://idp.example/keys", "PROCURA_JWT_ISSUER": "https://idp.example/",
        "PROCURA_JWT_AUDIENCE": "procura"}
PG = "postgresql://postgres@127.0.0.1:5432/procura"


@pytest.mark.parametrize("missing", ["PROCURA_JWT_ISSUER", "PROCURA_JWT_AUDIENCE"])
def test_a_jwks_url_without_issuer_or_audience_is_refused_naming_the_variable(missing):
    with pytest.raises(ConfigError) as refused:
        load_settings({k: v for k, v in JWKS.items() if k != missing})
    assert refused.value.variable == missing


def test_an_oidc_issuer_is_also_the_tokens_issuer_but_the_audience_is_still_required():
    with pytest.raises(ConfigError) as refused:
        load_settings({"PROCURA_OIDC_ISSUER": "https://idp.example/realms/acme"})
    assert refused.value.variable == "PROCURA_JWT_AUDIENCE"
    settings = load_settings({"PROCURA_OIDC_ISSUER": "https://idp.example/realms/acme",
                              "PROCURA_JWT_AUDIENCE": "procura"})
    assert settings.identity.issuer == "https://idp.example/realms/acme"


@pytest.mark.parametrize(("variable", "value"), [
    ("PROCURA_JWT_ALGORITHMS", "RS256,HS256"), ("PROCURA_JWT_ALGORITHMS", "RS257"),
    ("PROCURA_JWT_ALGORITHMS", " , "), ("PROCURA_JWT_JWKS_URL", "file:///etc/keys"),
    ("PROCURA_ROLE_MAP", "po-boss=overlord"), ("PROCURA_ROLE_MAP", "=approver"),
    ("PROCURA_JWT_LEEWAY_SECONDS", "-1"), ("PROCURA_JWKS_REFRESH_INTERVAL", "often"),
    ("PROCURA_OIDC_ISSUER", "https://idp.example/"),
])
def test_a_bad_identity_setting_names_its_variable(variable, value):
    with pytest.raises(ConfigError) as refused:
        load_settings({**JWKS, variable: value})
    assert refused.value.variable == variable


def test_by_default_provider_tokens_may_be_rs256_or_es256_and_claims_keep_todays_names():
    identity = load_settings(JWKS).identity
    assert identity.algorithms == ("RS256", "ES256")
    assert (identity.claims.roles, identity.claims.org) == ("roles", "org")


def test_claim_paths_and_the_role_map_are_read():
    identity = load_settings({**JWKS, "PROCURA_CLAIM_ROLES": "realm_access.roles",
                              "PROCURA_ROLE_MAP": "po-approver=approver, po-buyer=buyer"}).identity
    assert identity.claims.roles == "realm_access.roles"
    assert identity.role_map == {"po-approver": "approver", "po-buyer": "buyer"}


def test_with_an_identity_provider_no_shared_secret_is_needed_beside_a_database():
    assert load_settings({**JWKS, "DATABASE_URL": PG}).identity.uses_keys


def test_without_a_provider_tokens_are_verified_with_the_shared_secret():
    assert not load_settings({}).identity.uses_keys


OIDC = {"PROCURA_OIDC_ISSUER": "https://idp.example/realms/acme", "PROCURA_JWT_AUDIENCE": "procura"}
CONSOLE = {**OIDC, "PROCURA_CONSOLE_CLIENT_ID": "procura-console", "PROCURA_PUBLIC_URL": "https://procura.example/",
           "PROCURA_CONSOLE_SESSION_SECRET": "s" * 32}


def test_the_console_signs_in_at_the_provider_only_when_its_client_id_is_set():
    assert load_settings(OIDC).console_sign_in is None
    sign_in = load_settings({**CONSOLE, "PROCURA_CONSOLE_CLIENT_SECRET": "shh"}).console_sign_in
    assert sign_in.redirect_uri == "https://procura.example/console/oidc/callback"
    assert (sign_in.client_secret, sign_in.scopes) == ("shh", "openid")


def test_without_a_client_secret_the_console_is_a_public_client():
    assert load_settings(CONSOLE).console_sign_in.client_secret is None


@pytest.mark.parametrize(("variable", "changes"), [
    ("PROCURA_PUBLIC_URL", {"PROCURA_PUBLIC_URL": ""}),
    ("PROCURA_PUBLIC_URL", {"PROCURA_PUBLIC_URL": "http://procura.example"}),
    ("PROCURA_CONSOLE_SESSION_SECRET", {"PROCURA_CONSOLE_SESSION_SECRET": "short"}),
    ("PROCURA_CONSOLE_SCOPES", {"PROCURA_CONSOLE_SCOPES": "profile email"}),
])
def test_a_bad_console_sign_in_setting_names_its_variable(variable, changes):
    with pytest.raises(ConfigError) as refused:
        load_settings({**CONSOLE, **changes})
    assert refused.value.variable == variable


def test_the_console_sign_in_needs_the_providers_discovery_not_only_its_keys():
    console = {k: v for k, v in CONSOLE.items() if k != "PROCURA_OIDC_ISSUER"}
    with pytest.raises(ConfigError) as refused:
        load_settings({**console, **JWKS})
    assert refused.value.variable == "PROCURA_CONSOLE_CLIENT_ID"


def test_plain_http_is_allowed_for_the_console_on_localhost():
    settings = load_settings({**CONSOLE, "PROCURA_PUBLIC_URL": "http://127.0.0.1:8000"})
    assert settings.console_sign_in.public_url == "http://127.0.0.1:8000"
