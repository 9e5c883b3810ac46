"""The authorization policy as a pure function of (principal, PO, action)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from aggregates.policy import Principal, allowed_actions, authorize, can_read_history, can_see


@dataclass
class FakePO:
    org: str = "o1"
    requester: str = "alice"
    department: str | None = "eng"
    status: str = "submitted"
    total: Decimal = Decimal("1000.00")


def who(sub="bob", *roles, org="o1", department="eng", limit=None) -> Principal:
    return Principal(sub, org, frozenset(roles), department, Decimal(limit) if limit else None)


def slug(refusal):
    return refusal.slug if refusal else None


def test_another_orgs_po_is_not_found_even_for_an_admin():
    assert slug(authorize(who("root", "admin", org="o2"), "cancel", FakePO())) == "not-found"


def test_a_requester_cannot_see_a_colleagues_po():
    assert not can_see(who("carl", "requester"), FakePO())


def test_an_approver_sees_their_departments_pos_only():
    assert can_see(who("bob", "approver"), FakePO())
    assert not can_see(who("bob", "approver", department="sales"), FakePO())


def test_an_approver_within_limit_may_approve():
    assert authorize(who("bob", "approver", limit="1000.00"), "approve", FakePO()) is None


def test_an_approver_above_limit_is_told_the_limit_and_total():
    refusal = authorize(who("bob", "approver", limit="999.99"), "approve", FakePO())
    assert refusal.slug == "approval-limit-exceeded"
    assert refusal.extra == {"limit": "999.99", "total": "1000.00"}


def test_an_approver_may_reject_above_their_limit():
    assert authorize(who("bob", "approver", limit="1.00"), "reject", FakePO()) is None


@pytest.mark.parametrize("roles", [("approver",), ("admin",), ("approver", "requester")])
def test_nobody_decides_on_their_own_po(roles):
    me = who("alice", *roles, limit="5000.00")
    assert slug(authorize(me, "approve", FakePO())) == "separation-of-duties"


def test_a_buyer_may_not_approve_and_learns_which_roles_may():
    refusal = authorize(who("carol", "buyer"), "approve", FakePO())
    assert refusal.slug == "forbidden" and "approver" in refusal.extra["required"]


def test_a_requester_may_not_cancel_a_colleagues_po_they_cannot_see():
    assert slug(authorize(who("carl", "requester"), "cancel", FakePO())) == "not-found"


def test_an_admin_may_cancel_anyones_po_in_their_org():
    assert authorize(who("root", "admin"), "cancel", FakePO()) is None


def test_allowed_actions_combine_status_and_policy():
    assert allowed_actions(who("alice", "requester"), FakePO(status="draft")) == ["revise", "submit", "cancel"]
    assert allowed_actions(who("bob", "approver", limit="10.00"), FakePO()) == ["reject"]
    assert allowed_actions(who("carol", "buyer"), FakePO(status="approved")) == ["place"]


def test_allowed_actions_are_exactly_the_legal_commands_authorize_permits():
    from itertools import combinations, product

    from aggregates.policy import ROLES
    from aggregates.transitions import CLIENT_COMMANDS, Status, is_legal

    role_sets = [frozenset(c) for n in range(len(ROLES) + 1) for c in combinations(sorted(ROLES), n)]
    for roles, limit, department in product(role_sets, (None, "500.00"), ("eng", None)):
        caller = who("bob", *roles, department=department, limit=limit)
        for status, requester, po_department, total in product(
                Status, ("bob", "alice"), ("eng", "ops", None), (Decimal("10.00"), Decimal("1000.00"))):
            po = FakePO(requester=requester, department=po_department, status=status.value, total=total)
            expected = [a for a in CLIENT_COMMANDS if is_legal(a, po.status) and authorize(caller, a, po) is None]
            assert allowed_actions(caller, po) == expected, (roles, limit, department, po)


def test_a_page_of_pos_gets_the_same_allowed_actions_as_each_po_asked_alone():
    from itertools import combinations, product

    from aggregates.policy import ROLES, ActionsFor
    from aggregates.transitions import Status

    shapes = [FakePO(org=org, requester=requester, department=department, status=status.value, total=total)
              for org, requester, department, status, total in product(
                  ("o1", "o2"), ("bob", "alice"), ("eng", "ops", None), Status,
                  (Decimal("10.00"), Decimal("500.00"), Decimal("1000.00")))]
    for n in (1, 2):
        for roles in combinations(sorted(ROLES), n):
            for limit in (None, "500.00"):
                caller = who("bob", *roles, limit=limit)
                page = ActionsFor(caller)  # one decider for the whole page, as the list uses it
                assert [page(po) for po in shapes] == [allowed_actions(caller, po) for po in shapes], roles


def test_history_is_for_auditors_admins_and_the_requester():
    assert can_read_history(who("erin", "auditor"), FakePO())
    assert can_read_history(who("alice", "requester"), FakePO())
    assert not can_read_history(who("dave", "analyst"), FakePO())
