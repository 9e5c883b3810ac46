"""GET /trace: everything of the caller's org written under one id (a
request, correlation or operation id, an Idempotency-Key, a PO id), for
auditors and admins."""

from __future__ import annotations

import pytest

from app.tools import support
from tests.conftest import User, po_body


@pytest.fixture
def settings(any_backend_settings):
    return any_backend_settings


@pytest.fixture
def auditor(client) -> User:
    return User(client, "erin", ("auditor",), department="finance")


def create(who: User, key: str | None = None, correlation: str | None = None):
    headers = {"X-Correlation-Id": correlation} if correlation else None
    return who.post("/purchase-orders", po_body(), key=key, headers=headers)


def traced(who: User, value: str) -> dict:
    response = who.client.get("/trace", query_string={"id": value}, headers=who.auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_trace_by_idempotency_key_shows_the_events_and_the_command_record(alice, auditor):
    created = create(alice, "order-laptops")
    trace = traced(auditor, "order-laptops")
    assert [(e["type"], e["version"], e["command"], e["actor"]) for e in trace["events"]] == [
        ("Created", 1, "create", "alice")]
    event = trace["events"][0]
    assert event["aggregate_id"] == created.get_json()["id"]
    assert event["request_id"] == event["causation_id"] == created.headers["X-Request-Id"]
    assert event["position"] == int(created.headers["Event-Position"])
    assert trace["commands"] == [{
        "key": "order-laptops", "principal": "alice", "status": 201, "po_id": None,
        "created_at": trace["commands"][0]["created_at"], "event_position": event["position"],
        "request_id": created.headers["X-Request-Id"], "problem": None}]
    assert trace["truncated"] is False


def test_a_refused_command_is_traced_by_its_key_with_the_problem_its_client_got(alice, auditor):
    po = alice.create().get_json()["id"]
    refused = alice.command(po, "submit", 7, key="stale-submit")
    assert refused.status_code == 409
    trace = traced(auditor, "stale-submit")
    assert trace["events"] == []
    [record] = trace["commands"]
    assert (record["status"], record["event_position"]) == (409, None)
    assert record["problem"] == refused.get_json()
    assert record["request_id"] == refused.headers["X-Request-Id"]


def test_a_trace_by_request_or_correlation_id_follows_it_across_purchase_orders(alice, auditor):
    first = create(alice, correlation="onboarding-42")
    second = create(alice, correlation="onboarding-42")
    trace = traced(auditor, "onboarding-42")
    assert [e["aggregate_id"] for e in trace["events"]] == [first.get_json()["id"], second.get_json()["id"]]
    assert [e["position"] for e in traced(auditor, second.headers["X-Request-Id"])["events"]] == [
        int(second.headers["Event-Position"])]


def test_a_trace_by_purchase_order_id_shows_its_events_in_order(alice, bob, auditor):
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1)
    bob.command(po, "approve", 2)
    trace = traced(auditor, po)
    assert [(e["type"], e["command"]) for e in trace["events"]] == [
        ("Created", "create"), ("Submitted", "submit"), ("Approved", "approve")]
    positions = [e["position"] for e in trace["events"]]
    assert positions == sorted(positions)


def test_a_trace_by_purchase_order_id_shows_its_refused_commands_too(alice, auditor):
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1, key="on-time")
    late = alice.command(po, "revise", 1, po_body(title="Too late"), key="late-revise")
    assert late.status_code == 409
    commands = traced(auditor, po)["commands"]
    assert [(c["key"], c["status"], c["po_id"]) for c in commands] == [("on-time", 200, po), ("late-revise", 409, po)]
    assert commands[1]["problem"]["type"] == "/problems/version-conflict"


def test_records_of_one_key_from_several_people_of_the_org_all_appear(alice, bob, auditor):
    create(alice, "shared-key")
    po = alice.create().get_json()["id"]
    bob.command(po, "approve", 1, key="shared-key")  # a draft: 409 illegal-transition
    assert sorted((c["principal"], c["status"]) for c in traced(auditor, "shared-key")["commands"]) == [
        ("alice", 201), ("bob", 409)]


def test_another_orgs_events_and_records_never_appear(alice, mallory, auditor):
    create(mallory, "same-key", "shared-correlation")
    other_po = mallory.create().get_json()["id"]
    create(alice, "same-key")
    trace = traced(auditor, "same-key")
    assert [c["principal"] for c in trace["commands"]] == ["alice"]
    assert [e["actor"] for e in trace["events"]] == ["alice"]
    assert traced(auditor, "shared-correlation") == {"id": "shared-correlation", "events": [], "commands": [],
                                                     "truncated": False}
    assert traced(auditor, other_po)["events"] == []


def test_an_id_nothing_was_written_under_is_an_empty_trace_not_a_404(auditor):
    assert traced(auditor, "never-used") == {"id": "never-used", "events": [], "commands": [], "truncated": False}


@pytest.mark.parametrize("roles", [("requester",), ("approver",), ("buyer",), ("analyst",)])
def test_only_auditors_and_admins_may_trace(client, roles):
    refused = User(client, "someone", roles).client.get("/trace?id=x", headers=User(client, "someone", roles).auth)
    assert refused.status_code == 403
    assert refused.get_json()["required"] == ["admin", "auditor"]
    assert User(client, "root", ("admin",)).get("/trace?id=x").status_code == 200


@pytest.mark.parametrize("query", ["", "?id=", "?id=" + "x" * 201, "?id=a&id=b", "?id=%00"])
def test_a_missing_empty_overlong_repeated_or_nul_id_is_422_on_id(auditor, query):
    refused = auditor.get("/trace" + query)
    assert refused.status_code == 422
    assert [e["pointer"] for e in refused.get_json()["errors"]] == ["/id"]


def test_an_unknown_parameter_is_422_like_the_lists(auditor):
    refused = auditor.get("/trace?id=x&verbose=1")
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0] == {"pointer": "/verbose", "detail": "Unknown field.",
                                               "code": "unknown-field"}


def test_a_trace_that_runs_out_of_time_answers_what_it_found_and_says_it_is_truncated(alice, auditor, monkeypatch):
    create(alice, "slow-store")
    monkeypatch.setattr(support, "MAX_SCAN_SECONDS", -1.0)
    trace = traced(auditor, "slow-store")
    assert trace["events"] == [] and trace["truncated"] is True
    assert [c["key"] for c in trace["commands"]] == ["slow-store"]  # records are looked up by key, not scanned
