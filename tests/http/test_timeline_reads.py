"""GET /purchase-orders/{id}/timeline through the Flask test client on the
in-memory backend: refusals by PO, replays, visibility, the pages. (The
placement story runs on SQLite and PostgreSQL in tests/placement/test_placement_timeline.py.)"""

from __future__ import annotations

from tests.conftest import User, po_body


def steps_of(who: User, po_id: str) -> list[dict]:
    """Every step of the PO's timeline, oldest first (the pages come newest first)."""
    steps, cursor = [], None
    while True:
        response = who.get(f"/purchase-orders/{po_id}/timeline?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert response.status_code == 200, response.get_json()
        steps += response.get_json()["steps"]
        cursor = response.get_json()["next_cursor"]
        if cursor is None:
            return steps[::-1]


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
    assert (body["id"], body["version"], body["status"], body["operations"], body["next_cursor"]) == (
        po, 1, "draft", [], None)
    assert response.headers["ETag"] == '"1"'


def test_the_timeline_comes_newest_first_a_page_at_a_time(alice):
    po = alice.create().get_json()["id"]
    for version in range(1, 5):
        alice.command(po, "revise", version, po_body(title=f"Take {version}"))
    assert alice.command(po, "submit", 1, key="stale").status_code == 409
    first = alice.get(f"/purchase-orders/{po}/timeline?limit=3").get_json()
    assert [s.get("version") or s["status"] for s in first["steps"]] == [409, 5, 4]
    older = alice.get(f"/purchase-orders/{po}/timeline?limit=2&cursor={first['next_cursor']}")
    rest = alice.get(f"/purchase-orders/{po}/timeline?cursor={older.get_json()['next_cursor']}")
    assert [s.get("version") for s in older.get_json()["steps"] + rest.get_json()["steps"]] == [3, 2, 1]
    assert rest.get_json()["next_cursor"] is None


def test_a_timeline_cursor_of_another_po_or_made_up_is_422_on_cursor(alice):
    po, other = alice.create().get_json()["id"], alice.create().get_json()["id"]
    alice.command(other, "revise", 1, po_body(title="again"))
    foreign = alice.get(f"/purchase-orders/{other}/timeline?limit=1").get_json()["next_cursor"]
    for cursor in (foreign, "not-a-cursor", "e30"):
        refused = alice.get(f"/purchase-orders/{po}/timeline?cursor={cursor}")
        assert refused.status_code == 422
        assert [e["pointer"] for e in refused.get_json()["errors"]] == ["/cursor"]
    assert alice.get(f"/purchase-orders/{po}/timeline?limit=0").get_json()["errors"][0]["pointer"] == "/limit"


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
