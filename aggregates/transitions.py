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
    """A command, the statuses it is legal from, and the status it leads to.

    `target` None means the status does not change (a revision, a shipment
    notice). `by_client` is False for outcomes only the supplier reports.
    """

    command: str
    sources: frozenset[Status]
    target: Status | None
    by_client: bool = True


def _row(command, sources, target, *, by_client=True) -> Transition:
    return Transition(command, frozenset(sources), target, by_client)


S = Status
TRANSITIONS: dict[str, Transition] = {
    t.command: t
    for t in (
        _row("revise", [S.DRAFT], None),
        _row("submit", [S.DRAFT], S.SUBMITTED),
        _row("approve", [S.SUBMITTED], S.APPROVED),
        _row("reject", [S.SUBMITTED], S.REJECTED),
        # A cancelled PO was never placed: `cancel` is not legal once placed.
        _row("reopen", [S.REJECTED, S.CANCELLED], S.DRAFT),
        _row(
            "cancel",
            [S.DRAFT, S.SUBMITTED, S.REJECTED, S.APPROVED, S.PLACEMENT_FAILED],
            S.CANCELLED,
        ),
        _row("place", [S.APPROVED, S.PLACEMENT_FAILED], S.PLACING),
        _row("receive", [S.PLACED], S.RECEIVED),
        _row("confirm_placement", [S.PLACING], S.PLACED, by_client=False),
        _row("fail_placement", [S.PLACING], S.PLACEMENT_FAILED, by_client=False),
        # A shipment notice may overtake the acceptance: it then places the PO.
        _row("record_shipment", [S.PLACING, S.PLACED], S.PLACED, by_client=False),
    )
}

#: Commands a client may send, in the order the API documents them.
CLIENT_COMMANDS: tuple[str, ...] = tuple(
    t.command for t in TRANSITIONS.values() if t.by_client
)
#: `create` has no source status; it is legal whenever the policy allows it.
CREATE = "create"


def is_legal(command: str, status: str) -> bool:
    """True when `command` may be applied to a PO in `status`."""
    return status in TRANSITIONS[command].sources


def legal_commands(status: str) -> list[str]:
    """The client commands legal from `status`, in documented order."""
    return [c for c in CLIENT_COMMANDS if is_legal(c, status)]
