"""Role x action x status, through a real server on PostgreSQL: every cell
answers as the transition table and the policy say, and `allowed_actions`
lists exactly the commands that then succeed."""

from __future__ import annotations

from uuid import UUID

import pytest

from aggregates.policy import Principal, authorize
from aggregates.transitions import CLIENT_COMMANDS, DECLARED, Status, is_legal
from app.bootstrap import build_services
from testkit.server import LiveClient, running_server
from tests.conftest import SECRET, User, command_body, postgres_settings

pytestmark = pytest.mark.postgres

CAST = {
    "owner": ("alice", ("requester",), "eng", None),
    "other-requester": ("carl", ("requester",), "eng", None),
    "approver": ("bob", ("approver",), "eng", "99999.00"),
    "approver-low-limit": ("lowe", ("approver",), "eng", "10.00"),
    "approver-other-dept": ("olga", ("approver",), "sales", "99999.00"),
    "buyer": ("carol", ("buyer",), "purchasing", None),
    "analyst": ("dave", ("analyst",), "finance", None),
    "auditor": ("erin", ("auditor",), "finance", None),
    "admin": ("root", ("admin",), "it", None),
    "integration": ("erp", ("integration",), None, None),
}
CLIENT_STEPS = {
    Status.DRAFT: [], Status.SUBMITTED: ["submit"], Status.APPROVED: ["submit", "approve"],
    Status.REJECTED: ["submit", "reject"], Status.CANCELLED: ["cancel"],
    Status.PLACING: ["submit", "approve", "place"], Status.PLACED: ["submit", "approve", "place"],
    Status.PLACEMENT_FAILED: ["submit", "approve", "place"], Status.RECEIVED: ["submit", "approve", "place"],
}
STEP_ACTOR = {"submit": "owner", "cancel": "owner", "approve": "approver", "reject": "approver", "place": "buyer"}
#: Supplier outcomes have no client route: they are written as the placement worker would.
SUPPLIER_STEPS = {
    Status.PLACED: [lambda po: po.confirm_placement("AC-1")],
    Status.PLACEMENT_FAILED: [lambda po: po.fail_placement("declined")],
    Status.RECEIVED: [lambda po: po.confirm_placement("AC-1"), lambda po: po.receive()],
}


@pytest.fixture(scope="module")
def world(module_pg_database_url):
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET}
    with running_server(env) as base:
        client = LiveClient(base)
        users = {name: User(client, sub, roles, department=dept, approval_limit=limit)
                 for name, (sub, roles, dept, limit) in CAST.items()}
        services = build_services(postgres_settings(module_pg_database_url))
        yield users, services
        services.close()


def principal(name: str) -> Principal:
    from decimal import Decimal

    sub, roles, dept, limit = CAST[name]
    return Principal(sub, "org-1", frozenset(roles), dept, Decimal(limit) if limit else None)


def po_in(world, status: Status):
    users, services = world
    po_id = users["owner"].create().get_json()["id"]
    for version, step in enumerate(CLIENT_STEPS[status], start=1):
        response = users[STEP_ACTOR[step]].command(po_id, step, version, command_body(step))
        assert response.status_code in (200, 202), response.get_data(as_text=True)
    for outcome in SUPPLIER_STEPS.get(status, []):
        po = services.event_store.purchase_order(UUID(po_id))
        outcome(po)
        services.event_store.save(po)
    po = services.event_store.purchase_order(UUID(po_id))
    assert po.status == status
    return po


def expected(who: Principal, action: str, po) -> tuple[int, str | None]:
    refusal = authorize(who, action, po)
    if refusal is not None:
        return (404 if refusal.slug == "not-found" else 403), refusal.slug
    if not is_legal(action, po.status):
        return 409, "illegal-transition"
    return DECLARED[action].answer, None


@pytest.mark.parametrize("status", list(Status))
def test_every_role_and_command_in_this_status_answers_as_the_policy_and_table_say(world, status):
    users, _ = world
    mismatches = []
    po = po_in(world, status)
    for name in CAST:
        who = principal(name)
        for action in CLIENT_COMMANDS:
            want = expected(who, action, po)
            response = users[name].command(str(po.id), action, po.version, command_body(action))
            body = response.get_json() or {}
            got = (response.status_code, body.get("type", "").removeprefix("/problems/") or None)
            if got != want:
                mismatches.append((name, action, want, got))
            if response.status_code in (200, 202):
                po = po_in(world, status)
    assert mismatches == []


@pytest.mark.parametrize("status", list(Status))
def test_allowed_actions_are_exactly_the_commands_that_succeed(world, status):
    users, _ = world
    for name in CAST:
        po = po_in(world, status)
        shown = users[name].get(f"/purchase-orders/{po.id}")
        if shown.status_code == 404:
            continue
        advertised = set(shown.get_json()["allowed_actions"])
        succeeded = set()
        for action in CLIENT_COMMANDS:
            response = users[name].command(str(po.id), action, po.version, command_body(action))
            if response.status_code in (200, 202):
                succeeded.add(action)
                po = po_in(world, status)
        assert advertised == succeeded, (name, status)


def webhook_routes(endpoint_id: str) -> list[tuple[str, str, dict | None]]:
    """Every webhook endpoint route as (method, path, body)."""
    base = f"/webhook-endpoints/{endpoint_id}"
    return [("POST", "/webhook-endpoints", {"url": "https://8.8.8.8/hooks"}), ("GET", "/webhook-endpoints", None),
            ("GET", base, None), ("PATCH", base, {"description": "changed"}), ("POST", f"{base}/rotate-secret", None),
            ("GET", f"{base}/deliveries", None), ("GET", f"{base}/deliveries/msg_none", None),
            ("POST", f"{base}/deliveries/msg_none/redeliver", None), ("POST", f"{base}/replay", {"since": 0}),
            ("DELETE", base, None)]


def test_only_admins_reach_the_webhook_endpoints(world):
    users, _ = world
    admin = users["admin"]
    mismatches = []
    for name, user in users.items():
        endpoint_id = admin.client.post("/webhook-endpoints", json={"url": "https://8.8.8.8/hooks"},
                                        headers=admin.auth).get_json()["id"]
        for method, path, body in webhook_routes(endpoint_id):
            status = user.client.open(path, method=method, json=body, headers=user.auth).status_code
            if (status == 403) != (name != "admin"):
                mismatches.append((name, method, path, status))
    assert mismatches == []
