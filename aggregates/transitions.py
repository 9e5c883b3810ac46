"""The purchase-order transition table: the one place that says which command
is legal from which status, and where it leads.

It is data so that the aggregate, the authorization policy, `allowed_actions`
and the generated behaviour documentation all read the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    PLACING = "placing"
    PLACED = "placed"
    PLACEMENT_FAILED = "placement_failed"
    RECEIVED = "received"


@dataclass(frozen=True)
class Transition:
    """One command, declared once: everything else (the aggregate's checks,
    the policy, `allowed_actions`, the routes and their bodies, OpenAPI, the
    behaviour catalogue, the read models' statuses) reads this row.

    `target` None means the status does not change (a revision, a shipment
    notice). `event` is the name of the event it records on PurchaseOrder.
    `roles` may send it (admins may send every client command); none means
    only the supplier reports it. `owner_only`: only on the caller's own PO.
    `decision`: nobody decides on a PO they requested, and approvers only on
    their department's; `within_limit`: the total must be within the
    approver's limit. `body`: the fields it takes (None: none; "draft": a
    PO's content; "reason", "comment": one text field of that name).
    `remark`: the PO attribute that shows that text. `answer`: the HTTP
    status of success. `operation`: it starts a tracked operation.
    `shows`: the event's fields its public form shows, and `meaning`: what
    the event means, in a sentence (aggregates/public_events.py; its public
    type is `purchase_order.` and the event's name in snake case).
    """

    command: str
    sources: frozenset[Status]
    target: Status | None
    event: str
    roles: frozenset[str] = frozenset()
    owner_only: bool = False
    decision: bool = False
    within_limit: bool = False
    body: str | None = None
    remark: str | None = None
    answer: int = 200
    operation: bool = False
    shows: tuple[str, ...] = ()
    meaning: str = ""

    @property
    def by_client(self) -> bool:
        return bool(self.roles)


def _row(command, sources, target, event, roles=(), **declared) -> Transition:
    return Transition(command, frozenset(sources), target, event, frozenset(roles), **declared)


S = Status
REQUESTER, APPROVER, BUYER = ("requester",), ("approver",), ("buyer",)
#: A PO's content, as the events recording it carry it.
CONTENT = ("title", "supplier_id", "currency", "needed_by", "lines")
#: Creation: no PO yet, so no source status; `CREATE` names it.
CREATION = _row("create", [], S.DRAFT, "Created", REQUESTER, body="draft", answer=201,
                shows=("requester", "department", *CONTENT), meaning="A requester drafted a new purchase order.")
TRANSITIONS: dict[str, Transition] = {
    t.command: t
    for t in (
        _row("revise", [S.DRAFT], None, "Revised", REQUESTER, owner_only=True, body="draft", shows=CONTENT,
             meaning="The draft's content was replaced."),
        _row("submit", [S.DRAFT], S.SUBMITTED, "Submitted", REQUESTER, owner_only=True,
             meaning="The draft was submitted for approval."),
        _row("withdraw", [S.SUBMITTED], S.DRAFT, "Withdrawn", REQUESTER, owner_only=True, body="withdrawal",
             remark="withdrawal_reason", meaning="Its requester withdrew it from approval, back to draft."),
        _row("approve", [S.SUBMITTED], S.APPROVED, "Approved", APPROVER, decision=True, within_limit=True,
             meaning="An approver approved it."),
        _row("reject", [S.SUBMITTED], S.REJECTED, "Rejected", APPROVER, decision=True, body="reason",
             remark="rejection_reason", shows=("reason",), meaning="An approver rejected it, giving a reason."),
        _row("request_changes", [S.SUBMITTED], S.DRAFT, "ChangesRequested", APPROVER, decision=True,
             within_limit=True, body="comment", remark="changes_requested", shows=("comment",),
             meaning="An approver sent it back to draft, asking for changes."),
        # A cancelled PO was never placed: `cancel` is not legal once placed.
        _row("reopen", [S.REJECTED, S.CANCELLED], S.DRAFT, "Reopened", REQUESTER, owner_only=True,
             meaning="A rejected or cancelled purchase order was reopened as a draft."),
        _row("cancel", [S.DRAFT, S.SUBMITTED, S.REJECTED, S.APPROVED, S.PLACEMENT_FAILED], S.CANCELLED,
             "Cancelled", REQUESTER, owner_only=True, body="reason", remark="cancellation_reason", shows=("reason",),
             meaning="Its requester cancelled it, giving a reason."),
        _row("place", [S.APPROVED, S.PLACEMENT_FAILED], S.PLACING, "PlacementRequested", BUYER, answer=202,
             operation=True, shows=("operation_id",),
             meaning="A buyer asked for it to be placed with the supplier (an operation tracks the attempt)."),
        _row("confirm_placement", [S.PLACING], S.PLACED, "Placed", shows=("supplier_reference",),
             meaning="The supplier accepted the order."),
        _row("fail_placement", [S.PLACING], S.PLACEMENT_FAILED, "PlacementFailed", shows=("reason",),
             meaning="The supplier declined the order, or placing it failed."),
        # A shipment notice may overtake the acceptance: it then places the PO.
        _row("record_shipment", [S.PLACING, S.PLACED], S.PLACED, "Shipped",
             shows=("supplier_reference", "tracking_number"), meaning="The supplier shipped the order."),
        _row("receive", [S.PLACED], S.RECEIVED, "Received", BUYER, meaning="A buyer recorded the goods as received."),
    )
}
#: Every declared command, creation included.
DECLARED: dict[str, Transition] = {CREATION.command: CREATION, **TRANSITIONS}

#: Commands a client may send, in the order the API documents them.
CLIENT_COMMANDS: tuple[str, ...] = tuple(
    t.command for t in TRANSITIONS.values() if t.by_client
)
#: `create` has no source status; it is legal whenever the policy allows it.
CREATE = CREATION.command
#: The status each event leaves a PO in (events that change it), for read models.
STATUS_AFTER: dict[str, str] = {t.event: t.target.value for t in TRANSITIONS.values() if t.target}
#: PO attributes that show a command's text (a reason, a comment).
REMARKS: tuple[str, ...] = tuple(t.remark for t in TRANSITIONS.values() if t.remark)
#: Back in draft, or submitted again, a PO's earlier texts (a rejection's
#: reason, a comment asking for changes) no longer apply: an event leading
#: into one of these statuses clears its remarks (before leaving its own).
CLEARS_REMARKS: frozenset[str] = frozenset({Status.DRAFT.value, Status.SUBMITTED.value})
#: The remark each event leaving one fills with its text, for read models.
REMARK_OF: dict[str, str] = {t.event: t.remark for t in TRANSITIONS.values() if t.remark}


def is_legal(command: str, status: str) -> bool:
    """True when `command` may be applied to a PO in `status`."""
    return status in TRANSITIONS[command].sources
