"""The webhook tools (docs/integrators/webhooks.md, "Tools") through a real `procura
serve` and `procura worker` on PostgreSQL: an endpoint's deliveries listed
by status and type a page at a time, one delivery with its attempts, a
redelivery and replays since a position or a time carrying the original
webhook-ids; the same through `procura webhooks`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from testkit.receiver import Receiver
from testkit.server import ROOT, running_server, wait_until
from tests.webhooks.test_worker_delivery import ENV, Org, arrived, worker

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def live(module_pg_database_url):
    with running_server({**ENV, "DATABASE_URL": module_pg_database_url}, workers=1, threads=8) as base, \
            worker(module_pg_database_url):
        yield base, module_pg_database_url


def listing(org: Org, endpoint: dict, query: str = "") -> dict:
    answer = org.admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries?{query}")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_deliveries_are_listed_newest_first_by_status_and_type_a_page_at_a_time(live):
    org = Org(live[0])
    with Receiver() as receiver:
        endpoint = org.endpoint(receiver)
        org.approved_po(), org.approved_po()
        arrived(receiver, 6)
        approvals = listing(org, endpoint, "type=purchase_order.approved")["items"]
        assert [d["type"] for d in approvals] == ["purchase_order.approved"] * 2
        assert approvals[0]["position"] > approvals[1]["position"]
        assert listing(org, endpoint, "status=failed")["items"] == []
        first = listing(org, endpoint, "limit=4&status=delivered")
        rest = listing(org, endpoint, f"limit=4&status=delivered&cursor={first['next_cursor']}")
        ids = [d["id"] for d in first["items"] + rest["items"]]
        assert len(ids) == len(set(ids)) == 6 and rest["next_cursor"] is None
        assert set(ids) == {d.webhook_id for d in receiver.deliveries()}


def test_one_delivery_shows_every_attempt(live):
    org = Org(live[0])
    with Receiver(reply=lambda n, d: (503, {}, b"busy") if n == 0 else (200, {}, b"fine")) as receiver:
        endpoint = org.endpoint(receiver, "purchase_order.created")
        org.requester.create()
        [delivery] = wait_until(lambda: [d for d in listing(org, endpoint, "status=delivered")["items"]],
                                timeout=10, what="the delivery after its retry")
        shown = org.admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}")
        attempts = shown.get_json()["attempt_log"]
        assert [(a["number"], a["status"], a["response"]) for a in attempts] == [(1, 503, "busy"), (2, 200, "fine")]


def test_a_redelivery_arrives_again_with_the_same_webhook_id(live):
    org = Org(live[0])
    with Receiver() as receiver:
        endpoint = org.endpoint(receiver, "purchase_order.created")
        org.requester.create()
        arrived(receiver, 1)
        [delivery] = listing(org, endpoint)["items"]
        answer = org.admin.post(f"/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
        assert answer.status_code == 202

        wait_until(lambda: len(receiver.deliveries()) == 2, timeout=10, what="the redelivery")
        assert [d.webhook_id for d in receiver.deliveries()] == [delivery["id"]] * 2


def test_a_redelivery_asked_for_while_the_first_attempt_is_in_flight_is_still_sent(live):
    org = Org(live[0])
    answered = threading.Event()
    with Receiver(reply=lambda n, d: (n > 0 or answered.wait(10), (200, {}, b"ok"))[1]) as receiver:
        endpoint = org.endpoint(receiver, "purchase_order.created")
        org.requester.create()
        arrived(receiver, 1)  # and held: the receiver has not answered yet
        [delivery] = listing(org, endpoint)["items"]
        answer = org.admin.post(f"/webhook-endpoints/{endpoint['id']}/deliveries/{delivery['id']}/redeliver")
        assert answer.status_code == 202
        answered.set()

        wait_until(lambda: len(receiver.deliveries()) == 2, timeout=10, what="the redelivery")
        assert [d.webhook_id for d in receiver.deliveries()] == [delivery["id"]] * 2


def test_a_replay_since_a_position_resends_matching_events_with_their_original_webhook_ids(live):
    org = Org(live[0])
    with Receiver() as receiver, Receiver() as later:
        endpoint = org.endpoint(receiver, "purchase_order.approved")
        org.approved_po()
        [first] = arrived(receiver, 1)
        late = org.endpoint(later, "purchase_order.approved")  # created after the event: it never had it
        for target in (endpoint, late):
            answer = org.admin.post(f"/webhook-endpoints/{target['id']}/replay", {"since": first["position"] - 1})
            assert answer.status_code == 202 and answer.get_json()["queued"] == 1

        wait_until(lambda: len(receiver.deliveries()) == 2 and later.deliveries(), timeout=10, what="the replays")
        assert len({d.webhook_id for d in receiver.deliveries()}) == 1
        assert later.deliveries()[0].event["id"] == first["id"]


def test_a_replay_since_a_time_starts_at_the_first_event_from_then(live):
    org = Org(live[0])
    with Receiver() as receiver:
        endpoint = org.endpoint(receiver, "purchase_order.created")
        org.requester.create()
        arrived(receiver, 1)
        since = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        newer = org.requester.create().get_json()["id"]
        arrived(receiver, 2)
        answer = org.admin.post(f"/webhook-endpoints/{endpoint['id']}/replay", {"since": since})
        assert answer.get_json()["queued"] == 1 and answer.get_json()["more"] is False

        wait_until(lambda: len(receiver.deliveries()) == 3, timeout=10, what="the replay")
        assert receiver.deliveries()[2].event["po_id"] == newer


@pytest.mark.parametrize(("path", "body", "pointer"), [
    ("replay", {"since": "yesterday"}, "/since"), ("replay", {"since": -1}, "/since"),
    ("replay", {}, "/since"), ("replay", {"since": 1, "until": 2}, "/until"),
])
def test_a_bad_replay_is_refused_with_a_pointer(live, path, body, pointer):
    org = Org(live[0])
    with Receiver() as receiver:
        endpoint = org.endpoint(receiver)
        answer = org.admin.post(f"/webhook-endpoints/{endpoint['id']}/{path}", body)
        assert answer.status_code == 422 and [e["pointer"] for e in answer.get_json()["errors"]] == [pointer]


def test_the_deliveries_list_refuses_unknown_statuses_and_types_and_another_orgs_delivery_is_not_found(live):
    org, other = Org(live[0]), Org(live[0])
    with Receiver() as receiver:
        endpoint = org.endpoint(receiver)
        answer = org.admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries?status=lost&type=po.teleported")
        assert answer.status_code == 422
        assert [e["pointer"] for e in answer.get_json()["errors"]] == ["/status/0", "/type/0"]
        assert other.admin.get(f"/webhook-endpoints/{endpoint['id']}/deliveries").status_code == 404
        missing = org.admin.post(f"/webhook-endpoints/{endpoint['id']}/deliveries/msg_nothing/redeliver")
        assert missing.status_code == 404


def procura(url: str, *args: str) -> list[dict]:
    done = subprocess.run([sys.executable, "-m", "app.cli", "webhooks", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, **ENV, "DATABASE_URL": url})
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_the_cli_lists_replays_and_redelivers_like_the_api(live):
    base, url = live
    org = Org(base)
    with Receiver() as receiver:
        endpoint = org.endpoint(receiver, "purchase_order.created")
        org.requester.create()
        arrived(receiver, 1)
        assert [e["id"] for e in procura(url, "list", "--org", org.name)] == [endpoint["id"]]
        [delivery] = procura(url, "deliveries", endpoint["id"], "--status", "delivered")
        procura(url, "redeliver", endpoint["id"], delivery["id"])
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        assert procura(url, "replay", endpoint["id"], "--since", since)[0]["queued"] == 1

        wait_until(lambda: len(receiver.deliveries()) >= 3, timeout=10, what="the redelivery and the replay")
        assert {d.webhook_id for d in receiver.deliveries()} == {delivery["id"]}
        assert procura(url, "purge", "--older-than-days", "1") == [{"deleted": 0}]  # nothing a day old
