"""Deny by default: every route declares its access, protected routes refuse
anonymous and forged callers, and another org sees nothing at all."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from aggregates.transitions import CLIENT_COMMANDS
from app.bootstrap import build_services, create_app
from app.http.access import BEARER, OPEN, declared_access
from tests.conftest import SECRET, User, command_body, memory_settings, new_key

OPEN_PREFIXES = ("/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/problems/", "/callbacks/",
                 "/console")
APP = create_app(services=build_services(memory_settings()))


def routes():
    """(method, rule, view) for every route the application registers."""
    for rule in APP.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule, APP.view_functions[rule.endpoint]


def concrete(rule: str, some_id: str) -> str:
    return re.sub(r"<uuid:\w+>", some_id, rule).replace("<slug>", "not-found")


COMMANDS_WITH_BODIES = {command: command_body(command, "r") for command in CLIENT_COMMANDS}


PROTECTED = [(m, r) for m, r, v in routes() if declared_access(v) != OPEN]


@pytest.mark.parametrize(("method", "rule", "view"), list(routes()), ids=lambda x: str(x) if isinstance(x, str) else "")
def test_every_route_declares_its_access_and_only_contract_routes_are_open(method, rule, view):
    assert declared_access(view) in (OPEN, BEARER), f"{method} {rule} declares no access policy"
    assert (declared_access(view) == OPEN) == rule.startswith(OPEN_PREFIXES)


@pytest.mark.parametrize(("method", "rule"), PROTECTED)
def test_every_protected_route_refuses_an_anonymous_caller(client, method, rule):
    response = client.open(concrete(rule, "00000000-0000-4000-8000-000000000001"), method=method,
                           headers={"Idempotency-Key": new_key()})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def forged_tokens():
    now = datetime.now(UTC)
    claims = {"sub": "alice", "org": "org-1", "roles": ["admin"], "exp": now + timedelta(hours=1)}
    return {
        "other-secret": jwt.encode(claims, "x" * 40, algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": now - timedelta(minutes=1)}, SECRET, algorithm="HS256"),
        "alg-none": jwt.encode(claims, None, algorithm="none"),
        "malformed": "eyJhbGciOiJIUzI1NiJ9.broken",
    }


@pytest.mark.parametrize("kind", list(forged_tokens()))
@pytest.mark.parametrize(("method", "rule"), PROTECTED)
def test_every_protected_route_refuses_forged_expired_and_none_alg_tokens(client, method, rule, kind):
    headers = {"Authorization": f"Bearer {forged_tokens()[kind]}", "Idempotency-Key": new_key()}
    response = client.open(concrete(rule, "00000000-0000-4000-8000-000000000001"), method=method, headers=headers)
    assert response.status_code == 401


@pytest.fixture
def placed_po(alice, bob, carol):
    """A PO with an operation, so every id-bearing route has a target."""
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1)
    bob.command(po, "approve", 2)
    op = carol.command(po, "place", 3).get_json()["id"]
    return po, op


@pytest.mark.parametrize(("method", "rule"), [(m, r) for m, r in PROTECTED if "<uuid:" in r])
def test_another_orgs_admin_gets_404_on_every_route_and_changes_nothing(
        client, services, mallory, placed_po, method, rule):
    po, op = placed_po
    target = op if rule.startswith("/operations") else po
    head = services.event_store.head_position()
    body = COMMANDS_WITH_BODIES.get(rule.rsplit("/", 1)[1]) if method == "POST" else None
    response = client.open(concrete(rule, target), method=method, json=body,
                           headers={**mallory.auth, "Idempotency-Key": new_key(), "If-Match": '"4"'})
    assert response.status_code == 404
    assert response.get_json()["type"] == "/problems/not-found"
    assert services.event_store.head_position() == head


@pytest.mark.parametrize("member", ["requester", "department", "status", "approved_by", "org", "total"])
@pytest.mark.parametrize("command", list(COMMANDS_WITH_BODIES))
def test_mass_assignment_in_any_command_body_is_refused_and_changes_nothing(
        client, services, command, member):
    admin = User(client, "root", ("admin",))
    po = User(client).create().get_json()["id"]
    head = services.event_store.head_position()
    body = {**(COMMANDS_WITH_BODIES[command] or {}), member: "mallory"}
    response = admin.command(po, command, 1, body)
    assert response.status_code == 422
    assert {"pointer": f"/{member}", "detail": "Unknown field.", "code": "unknown-field"} in response.get_json()["errors"]
    assert services.event_store.head_position() == head
