"""The authorization policy: one pure function decides every action.

`authorize` is what the API enforces and `allowed_actions` is what it
advertises; both read the same rules, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Protocol

from aggregates.errors import Refusal
from aggregates.money import format_amount
from aggregates.transitions import CLIENT_COMMANDS, DECLARED, Status, is_legal

ROLES = frozenset({"requester", "approver", "buyer", "analyst", "auditor", "admin", "integration"})
#: Roles that see every PO of their org. `integration` is a machine client
#: (an ERP, a bus): it reads the event feed and the POs it names, and sends
#: no command (no row grants it one).
ORG_WIDE_READERS = frozenset({"buyer", "analyst", "auditor", "admin", "integration"})
#: Roles that grant each action (from the command declarations), besides
#: admin (who may do everything in the org except decide on their own PO).
GRANTS: dict[str, frozenset[str]] = {c: row.roles for c, row in DECLARED.items() if row.roles}
OWNER_ACTIONS = frozenset(c for c, row in DECLARED.items() if row.owner_only)
DECISIONS = frozenset(c for c, row in DECLARED.items() if row.decision)


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the verified token says."""

    sub: str
    org: str
    roles: frozenset[str]
    department: str | None = None
    approval_limit: Decimal | None = None

    def has(self, role: str) -> bool:
        return role in self.roles

    @property
    def caller(self) -> str:
        """`org/sub`: one caller, as rate limits, fair shares and logs count it."""
        return f"{self.org}/{self.sub}"


class OrderFacts(Protocol):
    """What the policy needs to know about a PO."""

    org: str
    requester: str
    department: str | None
    status: str

    @property
    def total(self) -> Decimal: ...


def can_see(who: Principal, po: OrderFacts) -> bool:
    """True when `who` may read `po` at all (otherwise it is 'not found')."""
    if po.org != who.org:
        return False
    if who.roles & ORG_WIDE_READERS or po.requester == who.sub:
        return True
    return who.has("approver") and po.department == who.department


def can_read_history(who: Principal, po: OrderFacts) -> bool:
    """History is for auditors, admins and the PO's requester."""
    return can_see(who, po) and (
        who.has("auditor") or who.has("admin") or po.requester == who.sub
    )


def _not_found() -> Refusal:
    return Refusal("not-found", "No purchase order with this id.")


def _forbidden(action: str, required: list[str]) -> Refusal:
    return Refusal(
        "forbidden", f"Your roles do not allow you to {action} this purchase order.",
        {"required": required},
    )


def authorize(who: Principal, action: str, po: OrderFacts | None = None) -> Refusal | None:
    """None when `who` may attempt `action` (on `po`), else the precise refusal.

    Transition legality is not judged here: a permitted action may still be
    illegal in the PO's status (the aggregate says so).
    """
    if po is not None and not can_see(who, po):
        return _not_found()
    granted = GRANTS[action]
    is_admin = who.has("admin")
    if not (is_admin or who.roles & granted):
        return _forbidden(action, sorted(granted | {"admin"}))
    if po is None:
        return None
    if action in OWNER_ACTIONS and not is_admin and po.requester != who.sub:
        return _forbidden(action, ["admin", "requester (own purchase orders)"])
    if action in DECISIONS:
        return _decision_refusal(who, action, po)
    return None


def _decision_refusal(who: Principal, action: str, po: OrderFacts) -> Refusal | None:
    if po.requester == who.sub:
        return Refusal("separation-of-duties", f"You cannot {action} a purchase order you requested.")
    if who.has("admin"):
        return None
    if po.department != who.department:
        return _forbidden(action, ["approver (same department)", "admin"])
    if DECLARED[action].within_limit and (who.approval_limit is None or po.total > who.approval_limit):
        limit = who.approval_limit or Decimal("0")
        return Refusal(
            "approval-limit-exceeded",
            f"The total {format_amount(po.total)} is above your approval limit {format_amount(limit)}.",
            {"limit": format_amount(limit), "total": format_amount(po.total)},
        )
    return None


#: The client commands legal in each status, in CLIENT_COMMANDS order (a
#: list page asks for every row, so legality is looked up, not tested).
_LEGAL_IN: dict[str, tuple[str, ...]] = {
    status.value: tuple(action for action in CLIENT_COMMANDS if is_legal(action, status.value))
    for status in Status
}


@lru_cache(maxsize=4096)
def _attemptable(who: Principal) -> frozenset[str]:
    """The client commands `who` may attempt on some PO: `authorize` without
    a PO refuses an action exactly when it would refuse it on every PO, so a
    list page asks the rest of the rules only about these."""
    return frozenset(action for action in CLIENT_COMMANDS if authorize(who, action) is None)


def allowed_actions(who: Principal, po: OrderFacts) -> list[str]:
    """The client commands `who` may issue on `po` right now."""
    return ActionsFor(who)(po)


class ActionsFor:
    """`allowed_actions` for one caller over many POs (a list page).

    The rules read a PO only through its status, whether its org, requester
    and department are the caller's, and whether its total is above the
    caller's approval limit; POs alike in those are decided once, by
    `authorize` itself, so the two cannot disagree.
    """

    def __init__(self, who: Principal):
        self.who = who
        self._attemptable = _attemptable(who)
        self._decided: dict[tuple, tuple[str, ...]] = {}

    def __call__(self, po: OrderFacts) -> list[str]:
        who = self.who
        key = (po.status, po.org == who.org, po.requester == who.sub, po.department == who.department,
               who.approval_limit is not None and po.total > who.approval_limit)
        decided = self._decided.get(key)
        if decided is None:
            # A status no transition starts from (none such today) allows nothing.
            decided = self._decided[key] = tuple(
                action for action in _LEGAL_IN.get(po.status, ())
                if action in self._attemptable and authorize(who, action, po) is None)
        return list(decided)
