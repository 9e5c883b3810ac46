"""GET /trace: everything of the caller's org written under one id (a
request, correlation or operation id, an Idempotency-Key, a PO id), for
auditors and admins."""

from __future__ import annotations

import json

import pytest

from app.service import support
from projections.support_index import SupportIndex
from projections.tables import ReadModel
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


def index(who: User) -> None:
    """The worker's part: the read models (the support index among them) catch up with the store."""
    services = who.client.application.extensions["procura"]
    assert SupportIndex.name in [p.name for p in services.processors]
    for follower in services.followers():
        if isinstance(follower.processor, ReadModel):
            follower.catch_up()


def traced(who: User, value: str, **query) -> dict:
    index(who)
    response = who.client.get("/trace", query_string={"id": value, **query}, headers=who.auth)
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
                                                     "truncated": False, "next_cursor": None}
    assert traced(auditor, other_po)["events"] == []


def test_an_id_nothing_was_written_under_is_an_empty_trace_not_a_404(auditor):
    assert traced(auditor, "never-used") == {"id": "never-used", "events": [], "commands": [], "truncated": False, "next_cursor": None}


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


def pages(who: User, value: str, limit: int) -> list[dict]:
    """Every page of a trace, following next_cursor."""
    found, cursor = [], None
    while True:
        page = traced(who, value, limit=limit, **({"cursor": cursor} if cursor else {}))
        found.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            return found


def test_a_long_trace_comes_a_page_at_a_time_in_order_with_the_records_on_the_first(alice, auditor):
    created = [create(alice, f"batch-{n}", "month-end-run") for n in range(7)]
    found = pages(auditor, "month-end-run", 3)
    assert [len(p["events"]) for p in found] == [3, 3, 1]
    assert [e["position"] for p in found for e in p["events"]] == [int(r.headers["Event-Position"]) for r in created]
    assert all(p["commands"] == [] for p in found[1:])


def test_a_cursor_of_another_trace_is_422_on_cursor(alice, auditor):
    create(alice, correlation="first-run")
    create(alice, correlation="first-run")
    cursor = traced(auditor, "first-run", limit=1)["next_cursor"]
    refused = auditor.client.get("/trace", query_string={"id": "second-run", "cursor": cursor}, headers=auditor.auth)
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == [{"pointer": "/cursor", "code": "invalid",
                                             "detail": "not a cursor of this trace; start again without it"}]


def test_the_public_event_id_of_the_event_feed_finds_its_event(alice, auditor):
    created = create(alice)
    index(auditor)
    feed = auditor.get("/events").get_json()["items"]
    [event] = [e for e in feed if e["position"] == int(created.headers["Event-Position"])]
    assert [e["position"] for e in traced(auditor, event["id"])["events"]] == [event["position"]]


def test_a_trace_says_the_position_it_was_read_at_and_waits_for_min_position_like_the_lists(alice, auditor):
    first = create(alice, correlation="daily-import")
    traced(auditor, "daily-import")  # indexed up to here
    second = create(alice, correlation="daily-import")
    stale = auditor.client.get("/trace", query_string={"id": "daily-import"}, headers=auditor.auth)
    assert stale.headers["Projection-Position"] == first.headers["Event-Position"]
    assert len(stale.get_json()["events"]) == 1
    behind = auditor.client.get("/trace", query_string={"id": "daily-import",
                                                        "min_position": second.headers["Event-Position"]},
                                headers=auditor.auth)
    assert behind.status_code == 503
    assert behind.get_json()["min_position"] == int(second.headers["Event-Position"])
    assert behind.headers["Retry-After"] == "1"


def test_command_records_beyond_a_pages_bytes_are_left_out_and_the_trace_says_it_is_truncated(alice, auditor,
                                                                                                monkeypatch):
    po = alice.create().get_json()["id"]
    refused = [alice.command(po, "submit", 9, key=f"stale-{n}") for n in range(6)]
    assert {r.status_code for r in refused} == {409}
    whole = traced(auditor, po)
    assert len(whole["commands"]) == 6 and whole["truncated"] is False
    monkeypatch.setattr(support, "MAX_PAGE_BYTES", len(json.dumps(whole)) // 2 + 1024)
    cut = traced(auditor, po)
    assert 1 <= len(cut["commands"]) < 6 and cut["truncated"] is True
    assert cut["commands"] == whole["commands"][:len(cut["commands"])]  # the oldest are kept
