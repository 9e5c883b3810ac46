"""The PurchaseOrder aggregate: intent methods in the domain's language.

Public methods check the transition table and the invariants, then trigger
one event each (`@event("PastTense")`); the event methods only change state,
so replaying history never re-runs a check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from aggregates.errors import IllegalTransition, InvariantViolated, Violation
from aggregates.money import format_amount, parse_amount
from aggregates.transitions import CLEARS_REMARKS, REMARKS, TRANSITIONS, Status

TITLE_MAX = 200
MAX_LINES = 100
MAX_QUANTITY = 10_000
#: Keeps every total within what read models store as integer cents.
MAX_UNIT_PRICE = Decimal("9999999999.99")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")


DEFAULT_UNIT = "each"


@dataclass(frozen=True)
class Line:
    sku: str
    description: str
    quantity: int
    unit_price: Decimal
    #: Unit of measure (added in event class_version 2; v1 lines were "each").
    unit: str = DEFAULT_UNIT

    @property
    def amount(self) -> Decimal:
        return self.quantity * self.unit_price

    def as_data(self) -> dict[str, Any]:
        return {
            "sku": self.sku,
            "description": self.description,
            "quantity": self.quantity,
            "unit": self.unit,
            "unit_price": format_amount(self.unit_price),
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Line:
        return cls(
            sku=data["sku"],
            description=data["description"],
            quantity=int(data["quantity"]),
            unit_price=Decimal(data["unit_price"]),
            unit=data["unit"],
        )


@dataclass(frozen=True)
class Draft:
    """The editable content of a PO, as a requester writes it."""

    title: str
    supplier_id: str
    currency: str
    needed_by: date
    lines: tuple[Line, ...]

    def as_data(self) -> dict[str, Any]:
        """Primitive form stored in events (JSON-friendly, exact money)."""
        return {
            "title": self.title,
            "supplier_id": self.supplier_id,
            "currency": self.currency,
            "needed_by": self.needed_by.isoformat(),
            "lines": [line.as_data() for line in self.lines],
        }

    def violations(self) -> list[Violation]:
        """Every broken content rule, each addressed by JSON Pointer."""
        found = []
        if not 1 <= len(self.title) <= TITLE_MAX:
            found.append(Violation("/title", f"must be 1-{TITLE_MAX} characters", "length"))
        if not CURRENCY_PATTERN.match(self.currency):
            found.append(Violation("/currency", "must be 3 upper-case letters", "pattern"))
        if not 1 <= len(self.lines) <= MAX_LINES:
            found.append(Violation("/lines", f"must hold 1-{MAX_LINES} lines", "length"))
        for i, line in enumerate(self.lines):
            found += _line_violations(f"/lines/{i}", line)
        return found


def _line_violations(pointer: str, line: Line) -> list[Violation]:
    found = []
    if not 1 <= line.quantity <= MAX_QUANTITY:
        found.append(Violation(f"{pointer}/quantity", f"must be 1-{MAX_QUANTITY}", "range"))
    if parse_amount(str(line.unit_price)) is None or not 0 < line.unit_price <= MAX_UNIT_PRICE:
        found.append(Violation(f"{pointer}/unit_price",
                               f"must be above 0 and at most {MAX_UNIT_PRICE}, with at most 2 decimals", "range"))
    return found


def check_draft(draft: Draft) -> None:
    """Raise InvariantViolated listing every broken content rule at once."""
    violations = draft.violations()
    if violations:
        raise InvariantViolated(violations)


def with_default_units(lines: list[dict[str, Any]]) -> None:
    """Upcast v1 line items (no unit of measure) in place: they were "each"."""
    for line in lines:
        line.setdefault("unit", DEFAULT_UNIT)


class PurchaseOrder(Aggregate):
    """A purchase order of one org, from draft to received.

    Schema history: version 2 gave line items a `unit`. Events and snapshots
    stored as version 1 are upcast on load (`upcast_v1_v2`); see docs/developers/adding-a-command.md.
    """

    class_version = 2  # snapshots of v1 hold lines without `unit`

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        with_default_units(state["_lines"])

    class Created(Aggregate.Created):
        class_version = 2
        org: str
        requester: str
        department: str | None
        title: str
        supplier_id: str
        currency: str
        needed_by: str
        lines: list[dict[str, Any]]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            with_default_units(state["lines"])

    class Revised(Aggregate.Event):
        class_version = 2
        title: str
        supplier_id: str
        currency: str
        needed_by: str
        lines: list[dict[str, Any]]

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            with_default_units(state["lines"])

    @classmethod
    def draft(cls, *, org: str, requester: str, department: str | None, content: Draft) -> PurchaseOrder:
        check_draft(content)
        return cls(org=org, requester=requester, department=department, **content.as_data())

    @event(Created)
    def __init__(self, org, requester, department, title, supplier_id, currency, needed_by, lines):
        self.org = org
        self.requester = requester
        self.department = department
        self._enter(Status.DRAFT)
        self.supplier_reference: str | None = None
        self.operation_id: UUID | None = None
        self.placement_failure: str | None = None
        self.tracking_number: str | None = None
        self._set_content(title, supplier_id, currency, needed_by, lines)

    # --- derived state ---------------------------------------------------

    @property
    def lines(self) -> tuple[Line, ...]:
        return tuple(Line.from_data(d) for d in self._lines)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def needed_by(self) -> date:
        return date.fromisoformat(self._needed_by)

    def remarks(self) -> dict[str, str | None]:
        """The texts commands left on the PO (a rejection's reason, ...), by
        attribute, each until the PO is back in draft or submitted again
        (CLEARS_REMARKS). A remark a PO snapshotted before it existed never had is None."""
        return {name: getattr(self, name, None) for name in REMARKS}

    # --- invariants ------------------------------------------------------

    def check_transition(self, command: str) -> None:
        if self.status not in TRANSITIONS[command].sources:
            raise IllegalTransition(command=command, current_status=self.status)

    def check_needed_by_not_past(self) -> None:
        today = datetime.now(UTC).date()
        if self.needed_by < today:
            raise InvariantViolated(
                [Violation("/needed_by", f"{self.needed_by} is in the past; revise it first", "past-date")]
            )

    # --- intents ---------------------------------------------------------

    def revise(self, content: Draft) -> None:
        self.check_transition("revise")
        check_draft(content)
        self._revised(**content.as_data())

    def submit(self) -> None:
        self.check_transition("submit")
        self.check_needed_by_not_past()
        self._submitted()

    def withdraw(self, reason: str | None = None) -> None:
        self.check_transition("withdraw")
        self._withdrawn(reason=reason)

    def approve(self) -> None:
        self.check_transition("approve")
        self._approved()

    def reject(self, reason: str) -> None:
        self.check_transition("reject")
        self._rejected(reason=reason)

    def request_changes(self, comment: str) -> None:
        self.check_transition("request_changes")
        self._changes_requested(comment=comment)

    def reopen(self) -> None:
        self.check_transition("reopen")
        self._reopened()

    def cancel(self, reason: str) -> None:
        self.check_transition("cancel")
        self._cancelled(reason=reason)

    def place(self, operation_id: UUID) -> None:
        self.check_transition("place")
        self._placement_requested(operation_id=operation_id)

    def receive(self) -> None:
        self.check_transition("receive")
        self._received()

    def confirm_placement(self, supplier_reference: str) -> None:
        self.check_transition("confirm_placement")
        self._placed(supplier_reference=supplier_reference)

    def fail_placement(self, reason: str) -> None:
        self.check_transition("fail_placement")
        self._placement_failed(reason=reason)

    def record_shipment(self, supplier_reference: str, tracking_number: str) -> None:
        self.check_transition("record_shipment")
        self._shipped(supplier_reference=supplier_reference, tracking_number=tracking_number)

    # --- events: state changes only --------------------------------------

    def _set_content(self, title, supplier_id, currency, needed_by, lines) -> None:
        self.title = title
        self.supplier_id = supplier_id
        self.currency = currency
        self._needed_by = needed_by
        self._lines = list(lines)

    def _enter(self, status: Status) -> None:
        """Set the status, clearing the remarks when it is one of CLEARS_REMARKS
        (read models do the same)."""
        self.status = status.value
        if status in CLEARS_REMARKS:
            for name in REMARKS:
                setattr(self, name, None)

    @event(Revised)
    def _revised(self, title, supplier_id, currency, needed_by, lines):
        self._set_content(title, supplier_id, currency, needed_by, lines)

    @event("Submitted")
    def _submitted(self):
        self._enter(Status.SUBMITTED)

    @event("Withdrawn")
    def _withdrawn(self, reason):
        self._enter(Status.DRAFT)
        self.withdrawal_reason = reason

    @event("Approved")
    def _approved(self):
        self._enter(Status.APPROVED)

    @event("Rejected")
    def _rejected(self, reason):
        self._enter(Status.REJECTED)
        self.rejection_reason = reason

    @event("ChangesRequested")
    def _changes_requested(self, comment):
        self._enter(Status.DRAFT)
        self.changes_requested = comment

    @event("Reopened")
    def _reopened(self):
        self._enter(Status.DRAFT)

    @event("Cancelled")
    def _cancelled(self, reason):
        self._enter(Status.CANCELLED)
        self.cancellation_reason = reason

    @event("PlacementRequested")
    def _placement_requested(self, operation_id):
        self._enter(Status.PLACING)
        self.operation_id = operation_id
        self.placement_failure = None

    @event("Placed")
    def _placed(self, supplier_reference):
        self._enter(Status.PLACED)
        self.supplier_reference = supplier_reference

    @event("PlacementFailed")
    def _placement_failed(self, reason):
        self._enter(Status.PLACEMENT_FAILED)
        self.placement_failure = reason

    @event("Shipped")
    def _shipped(self, supplier_reference, tracking_number):
        self._enter(Status.PLACED)
        self.supplier_reference = supplier_reference
        self.tracking_number = tracking_number

    @event("Received")
    def _received(self):
        self._enter(Status.RECEIVED)
