"""`request_changes`: an approver sends a submitted PO back to its requester
as a draft, with a comment shown on the PO and in its history until the
requester submits again."""

from __future__ import annotations

import pytest

from projections.tables import ReadModel
from tests.conftest import User

COMMENT = "Split the laptops by team, please"


@pytest.fixture
def sent_back(client):
    """(alice, bob, PO id) for a PO alice submitted and bob sent back."""
    alice, bob = User(client), User(client, "bob", ("approver",), approval_limit="10000.00")
    po = alice.create().get_json()["id"]
    assert alice.command(po, "submit", 1).status_code == 200
    answer = bob.command(po, "request_changes", 2, {"comment": COMMENT})
    assert answer.status_code == 200, answer.get_json()
    return alice, bob, po


def test_a_po_sent_back_for_changes_is_a_draft_showing_the_approvers_comment(sent_back):
    alice, _, po = sent_back
    document = alice.get(f"/purchase-orders/{po}").get_json()
    assert (document["status"], document["changes_requested"], document["version"]) == ("draft", COMMENT, 3)
    assert "revise" in document["allowed_actions"] and "submit" in document["allowed_actions"]


def test_the_comment_is_in_the_pos_history(sent_back):
    alice, _, po = sent_back
    last = alice.get(f"/purchase-orders/{po}/history").get_json()["events"][0]  # newest first
    assert (last["type"], last["data"], last["actor"]) == ("ChangesRequested", {"comment": COMMENT}, "bob")


def test_submitting_again_clears_the_comment(sent_back):
    alice, _, po = sent_back
    resubmitted = alice.command(po, "submit", 3).get_json()
    assert (resubmitted["status"], resubmitted["changes_requested"]) == ("submitted", None)


def test_a_request_for_changes_without_a_comment_is_refused_naming_the_field(client):
    alice, bob = User(client), User(client, "bob", ("approver",), approval_limit="10000.00")
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1)
    answer = bob.command(po, "request_changes", 2, {})
    assert answer.status_code == 422
    assert [e["pointer"] for e in answer.get_json()["errors"]] == ["/comment"]


def test_a_po_sent_back_for_changes_leaves_the_approval_queue(services, sent_back):
    _, bob, po = sent_back
    for follower in services.followers():
        if isinstance(follower.processor, ReadModel):
            follower.catch_up()
    queue = bob.get("/approvals/queue").get_json()["items"]
    assert po not in [item["id"] for item in queue]


def test_nobody_sends_back_a_po_they_requested(client):
    both = User(client, "alice", ("requester", "approver"), approval_limit="10000.00")
    po = both.create().get_json()["id"]
    both.command(po, "submit", 1)
    answer = both.command(po, "request_changes", 2, {"comment": COMMENT})
    assert (answer.status_code, answer.get_json()["type"]) == (403, "/problems/separation-of-duties")


def test_an_approver_whose_limit_is_below_the_total_cannot_send_it_back(client):
    alice, lowe = User(client), User(client, "lowe", ("approver",), approval_limit="10.00")
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1)
    answer = lowe.command(po, "request_changes", 2, {"comment": COMMENT})
    assert (answer.status_code, answer.get_json()["type"]) == (403, "/problems/approval-limit-exceeded")


def test_the_list_shows_the_comment_as_the_po_does(services, sent_back):
    alice, _, po = sent_back
    for follower in services.followers():
        if isinstance(follower.processor, ReadModel):
            follower.catch_up()
    [item] = [i for i in alice.get("/purchase-orders").get_json()["items"] if i["id"] == po]
    assert item["changes_requested"] == COMMENT

