"""The PurchaseOrder aggregate against its transition table, cell by cell."""

from __future__ import annotations

import inspect
from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest
from freezegun import freeze_time

from aggregates.errors import IllegalTransition, InvariantViolated
from aggregates.purchase_order import Draft, Line, PurchaseOrder
from aggregates.transitions import TRANSITIONS, Status

FUTURE = date(2031, 6, 30)


def a_draft(**changes) -> Draft:
    fields = dict(title="Laptops", supplier_id="acme", currency="EUR", needed_by=FUTURE,
                  lines=(Line("LAP-1", "Laptop", 3, Decimal("1249.99")),))
    fields.update(changes)
    return Draft(**fields)


def new_po() -> PurchaseOrder:
    return PurchaseOrder.draft(org="o1", requester="alice", department="eng", content=a_draft())


#: How to bring a fresh PO into each status, using only legal steps.
PATHS = {
    Status.DRAFT: [],
    Status.SUBMITTED: ["submit"],
    Status.APPROVED: ["submit", "approve"],
    Status.REJECTED: ["submit", "reject"],
    Status.CANCELLED: ["cancel"],
    Status.PLACING: ["submit", "approve", "place"],
    Status.PLACED: ["submit", "approve", "place", "confirm_placement"],
    Status.PLACEMENT_FAILED: ["submit", "approve", "place", "fail_placement"],
    Status.RECEIVED: ["submit", "approve", "place", "confirm_placement", "receive"],
}


def apply(po: PurchaseOrder, command: str) -> None:
    """Call the command's intent with every argument it takes: a draft as
    `content`, a new id for an operation, else a text naming the argument."""
    intent = getattr(po, command)
    names = list(inspect.signature(intent).parameters)
    leading = [uuid4()] if TRANSITIONS[command].operation else []
    arguments = {name: a_draft(title="Revised") if name == "content" else f"{name} {command}"
                 for name in names[len(leading):]}
    intent(*leading, **arguments)


def po_in(status: Status) -> PurchaseOrder:
    po = new_po()
    for command in PATHS[status]:
        apply(po, command)
    assert po.status == status
    return po


CELLS = [(status, command) for status in Status for command in TRANSITIONS]


@pytest.mark.parametrize(("status", "command"), CELLS, ids=[f"{s}-{c}" for s, c in CELLS])
def test_every_status_and_command_follows_the_transition_table(status, command):
    po = po_in(status)
    transition = TRANSITIONS[command]
    version = po.version
    if status in transition.sources:
        apply(po, command)
        assert po.status == (transition.target or status)
        assert po.version == version + 1
    else:
        with pytest.raises(IllegalTransition) as refused:
            apply(po, command)
        assert refused.value.current_status == status
        assert po.version == version
        assert po.status == status


def test_total_is_the_exact_sum_of_quantity_times_unit_price():
    lines = (Line("A", "a", 3, Decimal("0.10")), Line("B", "b", 7, Decimal("1249.99")))
    po = PurchaseOrder.draft(org="o", requester="u", department=None, content=a_draft(lines=lines))
    assert po.total == Decimal("8750.23")


@freeze_time("2031-07-01")
def test_submitting_with_a_needed_by_date_in_the_past_is_refused():
    po = new_po()
    with pytest.raises(InvariantViolated) as refused:
        po.submit()
    assert refused.value.violations[0].pointer == "/needed_by"
    assert po.status == Status.DRAFT


@freeze_time("2031-06-30")
def test_submitting_on_the_needed_by_day_itself_is_allowed():
    po = new_po()
    po.submit()
    assert po.status == Status.SUBMITTED


def test_a_draft_breaking_several_rules_reports_all_of_them():
    bad = a_draft(title="", currency="eur", lines=(Line("A", "a", 0, Decimal("-1")),))
    with pytest.raises(InvariantViolated) as refused:
        PurchaseOrder.draft(org="o", requester="u", department=None, content=bad)
    pointers = {v.pointer for v in refused.value.violations}
    assert pointers == {"/title", "/currency", "/lines/0/quantity", "/lines/0/unit_price"}


def test_reopening_clears_the_rejection_reason():
    po = po_in(Status.REJECTED)
    po.reopen()
    assert po.status == Status.DRAFT and po.rejection_reason is None


def test_a_shipment_notice_before_acceptance_places_the_order_with_tracking():
    po = po_in(Status.PLACING)
    po.record_shipment("AC-7", "1Z42")
    assert (po.status, po.supplier_reference, po.tracking_number) == ("placed", "AC-7", "1Z42")


def test_a_po_replayed_from_its_events_equals_the_original():
    po = po_in(Status.PLACED)
    events = po.collect_events()
    replayed = None
    for e in events:
        replayed = e.mutate(replayed)
    assert replayed.status == po.status and replayed.total == po.total and replayed.version == po.version
    assert replayed.needed_by == FUTURE
