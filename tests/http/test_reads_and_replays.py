"""What clients see when they read, retry and place orders."""

from __future__ import annotations

from uuid import UUID

from tests.conftest import po_body


def test_creating_returns_the_po_with_location_etag_and_event_position(alice):
    response = alice.create()
    po = response.get_json()
    assert response.status_code == 201
    assert response.headers["Location"] == f"/purchase-orders/{po['id']}"
    assert response.headers["ETag"] == '"1"'
    assert int(response.headers["Event-Position"]) >= 1
    assert (po["status"], po["total"], po["requester"], po["department"]) == ("draft", "3748.50", "alice", "eng")


def test_a_retry_with_the_same_key_replays_the_stored_response_byte_for_byte(alice, services):
    first = alice.post("/purchase-orders", po_body(), key="same")
    head = services.event_store.head_position()
    again = alice.post("/purchase-orders", po_body(), key="same")
    assert again.get_data() == first.get_data() and again.status_code == 201
    for header in ("Location", "ETag", "Event-Position"):
        assert again.headers[header] == first.headers[header]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert services.event_store.head_position() == head


def test_a_refused_command_is_replayed_too_and_appends_nothing(alice, bob, services):
    po = alice.create().get_json()["id"]
    first = bob.command(po, "approve", 1, key="early")
    again = bob.command(po, "approve", 1, key="early")
    assert first.status_code == again.status_code == 409
    assert again.get_data() == first.get_data() and again.headers["Idempotent-Replayed"] == "true"
    assert services.event_store.purchase_order(UUID(po)).version == 1


def test_two_users_may_use_the_same_key_without_seeing_each_other(client, alice):
    from tests.conftest import User

    alan = User(client, "alan")
    mine = alice.post("/purchase-orders", po_body(title="Mine"), key="shared")
    theirs = alan.post("/purchase-orders", po_body(title="Theirs"), key="shared")
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs.headers
    assert theirs.get_json()["id"] != mine.get_json()["id"]


def test_the_same_key_on_another_po_or_if_match_is_reused(alice):
    a = alice.create().get_json()["id"]
    b = alice.create().get_json()["id"]
    alice.command(a, "submit", 1, key="k")
    assert alice.command(b, "submit", 1, key="k").get_json()["type"] == "/problems/idempotency-key-reused"
    assert alice.command(a, "submit", 2, key="k").get_json()["type"] == "/problems/idempotency-key-reused"


def test_reading_with_the_current_etag_is_not_modified(alice):
    po = alice.create().get_json()["id"]
    response = alice.get(f"/purchase-orders/{po}", headers={"If-None-Match": '"1"'})
    assert response.status_code == 304 and response.headers["ETag"] == '"1"'
    assert alice.get(f"/purchase-orders/{po}", headers={"If-None-Match": '"0"'}).status_code == 200


def test_a_po_can_be_read_as_it_stood_at_an_earlier_version(alice):
    po = alice.create().get_json()["id"]
    alice.command(po, "revise", 1, po_body(title="Second title"))
    old = alice.get(f"/purchase-orders/{po}?version=1").get_json()
    assert (old["title"], old["version"]) == ("Laptops for new hires", 1)
    assert alice.get(f"/purchase-orders/{po}?version=9").status_code == 404
    assert alice.get(f"/purchase-orders/{po}?version=x").status_code == 422


def test_history_lists_every_event_with_who_why_and_under_which_key(alice, bob, erin):
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1, key="submit-key", headers={"X-Request-Id": "req-123"})
    bob.command(po, "reject", 2, {"reason": "too pricey"})
    events = erin.get(f"/purchase-orders/{po}/history").get_json()["events"]
    assert [e["type"] for e in events] == ["Rejected", "Submitted", "Created"]  # newest first
    submitted = events[1]
    assert (submitted["actor"], submitted["command_id"], submitted["correlation_id"]) == ("alice", "submit-key", "req-123")
    assert events[0]["data"] == {"reason": "too pricey"} and events[0]["actor"] == "bob"
    assert all(e["occurred_at"].endswith("Z") for e in events)


def test_history_comes_a_page_at_a_time_and_a_bad_cursor_is_422(alice, erin):
    po = alice.create().get_json()["id"]
    for version in range(1, 5):
        alice.command(po, "revise", version, po_body(title=f"Take {version}"))
    first = erin.get(f"/purchase-orders/{po}/history?limit=3").get_json()
    rest = erin.get(f"/purchase-orders/{po}/history?cursor={first['next_cursor']}").get_json()
    assert [e["version"] for e in first["events"]] == [5, 4, 3] and first["version"] == 5
    assert [e["version"] for e in rest["events"]] == [2, 1] and rest["next_cursor"] is None
    timeline_cursor = alice.get(f"/purchase-orders/{po}/timeline?limit=1").get_json()["next_cursor"]
    for cursor in (timeline_cursor, "bm9wZQ"):
        refused = erin.get(f"/purchase-orders/{po}/history?cursor={cursor}")
        assert refused.status_code == 422 and refused.get_json()["errors"][0]["pointer"] == "/cursor"


def test_history_is_forbidden_to_an_approver_who_can_see_the_po(alice, bob):
    po = alice.create().get_json()["id"]
    assert bob.get(f"/purchase-orders/{po}").status_code == 200
    assert bob.get(f"/purchase-orders/{po}/history").get_json()["type"] == "/problems/forbidden"


def test_placing_answers_202_with_an_operation_to_poll(alice, bob, carol):
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1)
    bob.command(po, "approve", 2)
    response = carol.command(po, "place", 3)
    operation = response.get_json()
    assert response.status_code == 202
    assert response.headers["Location"] == response.headers["Operation-Location"] == f"/operations/{operation['id']}"
    assert (operation["status"], operation["kind"], operation["purchase_order_id"]) == ("pending", "place", po)
    assert operation["purchase_order"]["status"] == "placing"
    polled = carol.get(f"/operations/{operation['id']}")
    assert polled.status_code == 200 and polled.headers["Retry-After"] == "1"
    assert polled.get_json()["status"] == "pending"


def test_an_operation_is_hidden_from_callers_who_cannot_see_its_po(alice, bob, carol, mallory):
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1)
    bob.command(po, "approve", 2)
    op = carol.command(po, "place", 3).get_json()["id"]
    assert mallory.get(f"/operations/{op}").status_code == 404


def test_every_response_carries_a_request_id_and_echoes_a_sane_one(client, alice):
    assert alice.get("/purchase-orders/x", headers={"X-Request-Id": "abc-1"}).headers["X-Request-Id"] == "abc-1"
    generated = client.get("/healthz", headers={"X-Request-Id": "bad id\u00e9"}).headers["X-Request-Id"]
    assert generated != "bad id\u00e9" and len(generated) == 36
