"""The read-model endpoints as clients use them: freshness, paging,
visibility per role and org, validation of query parameters, reports."""

from __future__ import annotations

import pytest

from app.http import read_models as read_views
from projections.tables import ReadModel
from tests.conftest import User


def catch_up(services) -> None:
    for follower in services.followers():
        if isinstance(follower.processor, ReadModel):
            follower.catch_up()


def ids(response) -> list[str]:
    return [item["id"] for item in response.get_json()["items"]]


@pytest.fixture
def people(client):
    return {
        "alice": User(client, "alice", ("requester",), department="eng"),
        "zoe": User(client, "zoe", ("requester",), department="ops"),
        "bob": User(client, "bob", ("approver",), department="eng", approval_limit="5000.00"),
        "olga": User(client, "olga", ("approver",), department="ops", approval_limit="100000.00"),
        "carol": User(client, "carol", ("buyer",), department="purchasing"),
        "dave": User(client, "dave", ("analyst",), department="finance"),
        "root": User(client, "root", ("admin", "requester"), department="it"),
        "mallory": User(client, "mallory", ("admin",), org="org-2"),
    }


def submitted(user, **changes) -> str:
    po = user.create(**changes).get_json()["id"]
    user.command(po, "submit", 1)
    return po


def test_paging_while_new_orders_arrive_returns_every_preexisting_order_exactly_once(services, people):
    alice = people["alice"]
    for sort in ("-created_at", "created_at"):
        before = {alice.create(title=f"Order {n}").get_json()["id"] for n in range(9)}
        catch_up(services)
        seen, cursor = [], None
        while True:
            page = alice.get(f"/purchase-orders?sort={sort}&limit=4" + (f"&cursor={cursor}" if cursor else ""))
            assert page.status_code == 200
            seen += ids(page)
            alice.create(title="Arrived while paging")
            catch_up(services)
            cursor = page.get_json()["next_cursor"]
            if cursor is None:
                break
        assert sorted(i for i in seen if i in before) == sorted(before)


def test_each_role_lists_exactly_the_purchase_orders_it_may_read(services, people):
    alice, zoe, root = people["alice"], people["zoe"], people["root"]
    eng, ops, admins = alice.create().get_json()["id"], zoe.create().get_json()["id"], root.create().get_json()["id"]
    other_org = people["mallory"].create().get_json()["id"]
    catch_up(services)
    expected = {"alice": {eng}, "zoe": {ops}, "bob": {eng}, "olga": {ops}, "carol": {eng, ops, admins},
                "dave": {eng, ops, admins}, "root": {eng, ops, admins}, "mallory": {other_org}}
    for name, visible in expected.items():
        assert set(ids(people[name].get("/purchase-orders"))) == visible, name
    namesake = User(people["alice"].client, "alice", ("requester",), org="org-2", department="eng")
    assert ids(namesake.get("/purchase-orders")) == []  # same user id, other org: nothing of org-1


def test_the_approval_queue_lists_what_each_caller_may_approve_oldest_first(services, people):
    alice, zoe, root = people["alice"], people["zoe"], people["root"]
    small = submitted(alice)  # 3748.50
    large = submitted(alice, lines=[{"sku": "SRV", "description": "server", "quantity": 1, "unit_price": "9000.00"}])
    ops = submitted(zoe)
    own = submitted(root)
    alice.create()  # a draft is never in a queue
    catch_up(services)
    assert ids(people["bob"].get("/approvals/queue")) == [small]
    assert ids(people["olga"].get("/approvals/queue")) == [ops]
    assert ids(root.get("/approvals/queue")) == [small, large, ops]
    assert own not in ids(root.get("/approvals/queue"))
    assert ids(people["mallory"].get("/approvals/queue")) == []
    refused = alice.get("/approvals/queue")
    assert refused.status_code == 403 and refused.get_json()["required"] == ["admin", "approver"]


def test_a_read_model_behind_min_position_answers_projection_behind_with_retry_after(services, people, monkeypatch):
    monkeypatch.setattr(read_views, "FRESHNESS_WAIT_SECONDS", 0.1)
    alice = people["alice"]
    position = int(alice.create().headers["Event-Position"])
    behind = alice.get(f"/purchase-orders?min_position={position}")
    assert behind.status_code == 503 and behind.headers["Retry-After"] == "1"
    assert behind.get_json()["type"] == "/problems/projection-behind"
    assert (behind.get_json()["position"], behind.get_json()["min_position"]) == (0, position)
    catch_up(services)
    fresh = alice.get(f"/purchase-orders?min_position={position}")
    assert fresh.status_code == 200 and int(fresh.headers["Projection-Position"]) >= position


def test_every_read_model_response_carries_its_projection_position(services, people):
    people["alice"].create()
    catch_up(services)
    head = services.event_store.head_position()
    for who, path in (("alice", "/purchase-orders"), ("bob", "/approvals/queue"), ("dave", "/reports/spend"),
                      ("dave", "/reports/cycle-times"), ("dave", "/projections")):
        response = people[who].get(path)
        assert response.status_code == 200, path
        assert int(response.headers["Projection-Position"]) == head, path


def test_unknown_repeated_and_malformed_query_parameters_are_422_with_a_pointer_each(people):
    response = people["alice"].get("/purchase-orders?colour=red&limit=5&limit=6&sort=price&min_total=1.234"
                                   "&created_from=yesterday&cursor=bogus")
    assert response.status_code == 422
    pointers = {e["pointer"]: e["code"] for e in response.get_json()["errors"]}
    assert pointers == {"/colour": "unknown-field", "/limit": "repeated", "/sort": "invalid",
                        "/min_total": "invalid", "/created_from": "invalid", "/cursor": "invalid"}
    assert people["alice"].get("/purchase-orders?cursor=bogus").get_json()["errors"][0]["pointer"] == "/cursor"
    assert people["alice"].get("/purchase-orders?limit=201").status_code == 422
    assert people["alice"].get("/purchase-orders?status=draft&status=submitted,approved").status_code == 200


def test_the_list_filters_by_every_contract_parameter(services, people):
    alice = people["alice"]
    cheap = alice.create(title="Paper clips", lines=[{"sku": "CLIP-9", "description": "clips", "quantity": 2,
                                                      "unit_price": "1.50"}]).get_json()["id"]
    dear = submitted(alice, title="Servers")
    catch_up(services)

    def listed(query):
        return ids(alice.get("/purchase-orders?" + query))

    assert listed("status=submitted") == [dear]
    assert listed("q=clip-9") == [cheap] and listed("q=PAPER") == [cheap]
    assert listed("max_total=3.00") == [cheap] and listed("min_total=3.01") == [dear]
    assert listed("sort=total") == [cheap, dear] and listed("sort=-total") == [dear, cheap]
    assert set(listed("department=eng&supplier_id=acme&requester=alice&created_from=2000-01-01")) == {cheap, dear}
    assert listed("created_to=2000-01-01") == [] and listed("department=ops") == []


def test_reports_are_for_analysts_auditors_and_admins_and_spend_also_comes_as_csv(services, people):
    po = submitted(people["alice"])
    people["bob"].command(po, "approve", 2)
    people["alice"].command(po, "cancel", 3, {"reason": "changed our mind"})
    catch_up(services)
    refused = people["carol"].get("/reports/spend")
    assert refused.status_code == 403 and refused.get_json()["required"] == ["admin", "analyst", "auditor"]
    spend = people["dave"].get("/reports/spend?group_by=department").get_json()
    assert spend["groups"] == [{"group": "eng", "currency": "EUR", "approved_total": "3748.50", "approved_count": 1,
                                "placed_total": "0.00", "placed_count": 0}]
    csv = people["dave"].get("/reports/spend?group_by=supplier", headers={"Accept": "text/csv"})
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).splitlines() == [
        "supplier,currency,approved_total,approved_count,placed_total,placed_count", "acme,EUR,3748.50,1,0.00,0"]
    cycle = people["dave"].get("/reports/cycle-times?department=eng").get_json()
    assert cycle["count"] == 1 and cycle["percentile_method"] == "nearest-rank"


def test_the_cycle_time_report_counts_decisions_in_eleven_buckets(services, people):
    po = submitted(people["alice"])
    people["bob"].command(po, "approve", 2)
    catch_up(services)

    histogram = people["dave"].get("/reports/cycle-times").get_json()["histogram"]

    assert [b["le_hours"] for b in histogram] == [1, 4, 8, 24, 48, 72, 120, 168, 336, 720, None]
    assert [b["count"] for b in histogram] == [1] + [0] * 10  # decided within the hour it was submitted
