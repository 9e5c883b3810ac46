"""Webhook endpoints (docs/integrators/webhooks.md) through a real `procura serve` on
PostgreSQL: admins register, read, change, rotate and delete their org's
endpoints; the secret is shown once; URLs that would reach internal
addresses and malformed input are refused with pointers, storing nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from aggregates.public_events import PUBLIC_TYPES
from testkit.server import LiveClient, running_server
from tests.conftest import SECRET, User

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def live(module_pg_database_url):
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET,
           "PROCURA_WEBHOOK_ALLOW_HOSTS": "receiver.test"}
    with running_server(env, workers=1, threads=4) as base:
        yield base


def admin_of(base: str, org: str | None = None, roles=("admin",)) -> User:
    return User(LiveClient(base), "root", roles, org or f"org-{uuid.uuid4().hex[:8]}", department=None)


def register(user: User, **body):
    return user.client.post("/webhook-endpoints", json={"url": "https://8.8.8.8/hooks", **body},
                            headers=user.auth)


def listed(user: User) -> list[dict]:
    response = user.get("/webhook-endpoints")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


def test_an_admin_registers_an_endpoint_and_sees_its_secret_only_in_that_answer(live):
    admin = admin_of(live)
    created = register(admin, event_types=["purchase_order.approved"], description="ERP")
    assert created.status_code == 201, created.get_data(as_text=True)
    body = created.get_json()
    assert body["secret"].startswith("whsec_")
    assert created.headers["Location"] == f"/webhook-endpoints/{body['id']}"
    shown = admin.get(f"/webhook-endpoints/{body['id']}").get_json()
    assert shown == {k: v for k, v in body.items() if k != "secret"}
    assert shown["event_types"] == ["purchase_order.approved"] and shown["enabled"] is True
    assert "secret" not in listed(admin)[0]


def test_another_orgs_endpoint_is_not_found_nor_listed(live):
    ours, theirs = admin_of(live), admin_of(live)
    endpoint = register(ours).get_json()["id"]
    assert theirs.get(f"/webhook-endpoints/{endpoint}").status_code == 404
    assert theirs.client.open(f"/webhook-endpoints/{endpoint}", method="DELETE", headers=theirs.auth) \
        .status_code == 404
    assert listed(theirs) == []
    assert ours.get(f"/webhook-endpoints/{endpoint}").status_code == 200


@pytest.mark.parametrize("roles", [("integration",), ("auditor",), ("requester",), ("approver",)])
def test_only_admins_manage_endpoints(live, roles):
    someone = admin_of(live, roles=roles)
    assert register(someone).status_code == 403
    answer = someone.get("/webhook-endpoints")
    assert answer.status_code == 403 and answer.get_json()["required"] == ["admin"]


def test_a_change_touches_only_the_members_sent_and_enabling_forgets_why_it_was_disabled(live):
    admin = admin_of(live)
    endpoint = register(admin, description="before").get_json()
    path = f"/webhook-endpoints/{endpoint['id']}"
    changed = admin.client.open(path, method="PATCH", json={"enabled": False}, headers=admin.auth)
    assert changed.status_code == 200
    assert changed.get_json()["enabled"] is False and changed.get_json()["description"] == "before"
    changed = admin.client.open(path, method="PATCH", json={"event_types": ["purchase_order.placed"],
                                                             "enabled": True}, headers=admin.auth).get_json()
    assert changed["event_types"] == ["purchase_order.placed"] and changed["enabled"] is True
    assert changed["url"] == endpoint["url"]


def test_rotating_shows_a_new_secret_once_and_the_old_one_signs_for_24_hours(live):
    admin = admin_of(live)
    endpoint = register(admin).get_json()
    rotated = admin.post(f"/webhook-endpoints/{endpoint['id']}/rotate-secret")
    assert rotated.status_code == 200
    body = rotated.get_json()
    assert body["secret"].startswith("whsec_") and body["secret"] != endpoint["secret"]
    expires = datetime.strptime(body["previous_secret_expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=24))) < timedelta(minutes=1)
    assert "secret" not in admin.get(f"/webhook-endpoints/{endpoint['id']}").get_json()


def test_a_deleted_endpoint_is_gone(live):
    admin = admin_of(live)
    endpoint = register(admin).get_json()["id"]
    assert admin.client.open(f"/webhook-endpoints/{endpoint}", method="DELETE", headers=admin.auth) \
        .status_code == 204
    assert admin.get(f"/webhook-endpoints/{endpoint}").status_code == 404
    assert listed(admin) == []


def test_the_list_comes_a_page_at_a_time(live):
    admin = admin_of(live)
    made = [register(admin, description=str(n)).get_json()["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        page = admin.get("/webhook-endpoints?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made


@pytest.mark.parametrize("url", ["https://127.0.0.1/hooks", "https://10.0.0.1/hooks",
                                 "https://169.254.169.254/latest/meta-data", "https://[::1]/hooks",
                                 "https://localhost/hooks", "https://[::ffff:127.0.0.1]/hooks",
                                 "https://0.0.0.0/hooks", "https://metadata.google.internal/"])
def test_a_url_reaching_an_internal_address_is_refused_and_nothing_is_stored(live, url):
    admin = admin_of(live)
    refused = register(admin, url=url)
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert [e["pointer"] for e in refused.get_json()["errors"]] == ["/url"]
    assert refused.get_json()["errors"][0]["code"] == "address-refused"
    assert listed(admin) == []


def test_an_internal_address_is_refused_when_changing_the_url_too(live):
    admin = admin_of(live)
    endpoint = register(admin).get_json()
    path = f"/webhook-endpoints/{endpoint['id']}"
    refused = admin.client.open(path, method="PATCH", json={"url": "https://127.0.0.1/"}, headers=admin.auth)
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["pointer"] == "/url"
    assert admin.get(path).get_json()["url"] == endpoint["url"]


def test_plain_http_is_refused_unless_the_host_is_allow_listed(live):
    admin = admin_of(live)
    refused = register(admin, url="http://8.8.8.8/hooks")
    assert refused.status_code == 422 and refused.get_json()["errors"][0]["code"] == "https-required"
    assert register(admin, url="http://receiver.test:8080/hooks").status_code == 201


@pytest.mark.parametrize(("body", "pointers"), [
    ({"url": "https://example.com/" + "a" * 10_000}, ["/url"]),
    ({"url": "https://bücher.example/hooks"}, ["/url"]),
    ({"url": "https://example.com:70000/hooks"}, ["/url"]),
    ({"url": "https://example.com:0/hooks"}, ["/url"]),
    ({"url": "https://user:pw@example.com/hooks"}, ["/url"]),
    ({"url": "ftp://example.com/"}, ["/url"]),
    ({"event_types": [PUBLIC_TYPES[0]] * 1000}, ["/event_types"]),
    ({"event_types": ["purchase_order.approved", "purchase_order.teleported"]}, ["/event_types/1"]),
    ({"enabled": "yes"}, ["/enabled"]),
    ({"description": "x" * 501}, ["/description"]),
    ({"secret": "whsec_mine"}, ["/secret"]),
])
def test_bad_input_is_refused_with_pointers_and_nothing_is_stored(live, body, pointers):
    admin = admin_of(live)
    refused = register(admin, **body)
    assert refused.status_code == 422, refused.get_data(as_text=True)
    assert sorted({e["pointer"] for e in refused.get_json()["errors"]}) == pointers
    assert listed(admin) == []
