"""GET /purchase-orders/{id}/timeline through the Flask test client on the
in-memory backend: refusals by PO, replays, visibility, the bound. (The
placement story runs on SQLite and PostgreSQL in tests/placement/test_placement_timeline.py.)"""

from __future__ import annotations

from app.tools import support
from tests.conftest import User, po_body


def steps_of(who: User, po_id: str) -> list[dict]:
    response = who.get(f"/purchase-orders/{po_id}/timeline")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["steps"]


def test_refusals_of_commands_on_the_po_appear_between_its_events(alice, bob):
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1)
    early = bob.command(po, "approve", 1, key="stale-approve")
    bob.command(po, "approve", 2)
    assert early.status_code == 409
    steps = steps_of(alice, po)
    assert [(s["kind"], s.get("type") or s["status"]) for s in steps] == [
        ("event", "Created"), ("event", "Submitted"), ("refusal", 409), ("event", "Approved")]
    assert steps[2]["problem"] == early.get_json() and steps[2]["actor"] == "bob"
    assert [s["position"] for s in steps if s["kind"] == "event"] == sorted(
        s["position"] for s in steps if s["kind"] == "event")


def test_a_replayed_command_adds_no_step(alice):
    po = alice.create().get_json()["id"]
    first = alice.command(po, "submit", 1, key="submit-once")
    again = alice.command(po, "submit", 1, key="submit-once")
    assert again.headers["Idempotent-Replayed"] == "true" and again.get_data() == first.get_data()
    assert [s["type"] for s in steps_of(alice, po)] == ["Created", "Submitted"]


def test_a_replayed_refusal_adds_no_second_refusal(alice):
    po = alice.create().get_json()["id"]
    for _ in range(2):
        assert alice.command(po, "submit", 5, key="stale").status_code == 409
    assert [s["kind"] for s in steps_of(alice, po)] == ["event", "refusal"]


def test_the_timeline_answers_its_po_id_version_status_and_etag(alice):
    po = alice.create().get_json()["id"]
    response = alice.get(f"/purchase-orders/{po}/timeline")
    body = response.get_json()
    assert (body["id"], body["version"], body["status"], body["operations"], body["truncated"]) == (
        po, 1, "draft", [], False)
    assert response.headers["ETag"] == '"1"'


def test_the_timeline_keeps_the_newest_steps_when_a_po_has_more_than_the_bound(alice, monkeypatch):
    monkeypatch.setattr(support, "MAX_TIMELINE_STEPS", 3)
    po = alice.create().get_json()["id"]
    for version in range(1, 5):
        alice.command(po, "revise", version, po_body(title=f"Take {version}"))
    body = alice.get(f"/purchase-orders/{po}/timeline").get_json()
    assert [s["version"] for s in body["steps"]] == [3, 4, 5] and body["truncated"] is True


def test_those_who_may_not_read_the_po_get_404_and_those_who_may_get_it(client, alice, mallory):
    po = alice.create().get_json()["id"]
    for stranger in (User(client, "zoe", department="ops"), mallory):
        assert stranger.get(f"/purchase-orders/{po}/timeline").status_code == 404
    for reader in (User(client, "carol", ("buyer",), department="purchasing"),
                   User(client, "dave", ("analyst",), department="finance")):
        assert reader.get(f"/purchase-orders/{po}/timeline").status_code == 200


def test_an_unknown_query_parameter_is_422(alice):
    po = alice.create().get_json()["id"]
    assert alice.get(f"/purchase-orders/{po}/timeline?verbose=1").status_code == 422


def test_each_event_step_carries_the_global_position_its_command_answered(alice):
    created = alice.create()
    po = created.get_json()["id"]
    submitted = alice.command(po, "submit", 1)
    assert [s["position"] for s in steps_of(alice, po)] == [
        int(created.headers["Event-Position"]), int(submitted.headers["Event-Position"])]
