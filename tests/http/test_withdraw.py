"""`withdraw`: a requester takes their own submitted PO back to draft, with
an optional reason shown on the PO, in the list and in its history until
they submit it again."""

from __future__ import annotations

import pytest

from projections.tables import ReadModel
from tests.conftest import User

REASON = "The quote changed; revising the lines"


@pytest.fixture
def submitted(client):
    """(alice, PO id) for a PO alice submitted."""
    alice = User(client)
    po = alice.create().get_json()["id"]
    assert alice.command(po, "submit", 1).status_code == 200
    return alice, po


def test_a_withdrawn_po_is_a_draft_showing_the_reason(submitted):
    alice, po = submitted
    answer = alice.command(po, "withdraw", 2, {"reason": REASON})
    assert answer.status_code == 200, answer.get_json()
    document = answer.get_json()
    assert (document["status"], document["withdrawal_reason"], document["version"]) == ("draft", REASON, 3)
    assert "revise" in document["allowed_actions"] and "submit" in document["allowed_actions"]


def test_a_po_may_be_withdrawn_without_a_body(submitted):
    alice, po = submitted
    document = alice.command(po, "withdraw", 2).get_json()
    assert (document["status"], document["withdrawal_reason"]) == ("draft", None)


def test_the_reason_is_in_the_pos_history(submitted):
    alice, po = submitted
    alice.command(po, "withdraw", 2, {"reason": REASON})
    last = alice.get(f"/purchase-orders/{po}/history").get_json()["events"][0]  # newest first
    assert (last["type"], last["data"], last["actor"]) == ("Withdrawn", {"reason": REASON}, "alice")


def test_the_list_shows_the_reason_as_the_po_does(services, submitted):
    alice, po = submitted
    alice.command(po, "withdraw", 2, {"reason": REASON})
    for follower in services.followers():
        if isinstance(follower.processor, ReadModel):
            follower.catch_up()
    [item] = [i for i in alice.get("/purchase-orders").get_json()["items"] if i["id"] == po]
    assert (item["status"], item["withdrawal_reason"]) == ("draft", REASON)


def test_submitting_again_clears_the_reason(submitted):
    alice, po = submitted
    alice.command(po, "withdraw", 2, {"reason": REASON})
    resubmitted = alice.command(po, "submit", 3).get_json()
    assert (resubmitted["status"], resubmitted["withdrawal_reason"]) == ("submitted", None)


def test_only_the_requester_may_withdraw_their_po(client, submitted):
    _, po = submitted
    colleague = User(client, "carl")
    approver = User(client, "bob", ("approver",), approval_limit="10000.00")
    assert colleague.command(po, "withdraw", 2).status_code == 404
    assert approver.command(po, "withdraw", 2).status_code == 403


def test_an_empty_reason_is_refused_naming_the_field(submitted):
    alice, po = submitted
    answer = alice.command(po, "withdraw", 2, {"reason": ""})
    assert answer.status_code == 422
    assert [e["pointer"] for e in answer.get_json()["errors"]] == ["/reason"]


def test_the_timeline_shows_the_withdrawal_and_the_reason_it_left(submitted):
    alice, po = submitted
    alice.command(po, "withdraw", 2, {"reason": REASON})
    newest = alice.get(f"/purchase-orders/{po}/timeline").get_json()["steps"][0]
    assert (newest["type"], newest["command"], newest["changes"]) == ("Withdrawn", "withdraw", [
        {"field": "status", "before": "submitted", "after": "draft"},
        {"field": "withdrawal_reason", "before": None, "after": REASON}])
