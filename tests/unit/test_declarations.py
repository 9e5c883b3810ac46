"""Each command is declared once (aggregates/transitions.py); the start-up
check refuses a declaration that names something missing, in one line."""

from __future__ import annotations

import dataclasses

import pytest

from aggregates.transitions import DECLARED, STATUS_AFTER, Status
from app.http.declarations import DeclarationError, check_declarations, check_public_events


def _declared_with(name: str, **change) -> dict:
    return {name: dataclasses.replace(DECLARED[name], **change)}


def test_every_declared_command_passes_the_start_up_check():
    check_declarations()


def test_a_command_recording_an_event_the_aggregate_lacks_is_refused_by_name():
    with pytest.raises(DeclarationError, match=r"^command 'approve' is incompletely declared: "
                                               r"no event class PurchaseOrder.Approval$"):
        check_declarations(_declared_with("approve", event="Approval"))


def test_a_command_without_an_intent_method_is_refused_by_name():
    with pytest.raises(DeclarationError, match="no intent method PurchaseOrder.escalate"):
        check_declarations(_declared_with("approve", command="escalate"))


def test_a_command_whose_intent_does_not_take_its_body_is_refused():
    with pytest.raises(DeclarationError, match="does not take the body's arguments"):
        check_declarations(_declared_with("approve", body="reason"))


def test_a_body_kind_without_a_schema_is_refused():
    with pytest.raises(DeclarationError, match="no body schema for body 'memo'"):
        check_declarations(_declared_with("reject", body="memo"))


def test_a_command_whose_event_means_nothing_to_clients_is_refused():
    with pytest.raises(DeclarationError, match="^command 'approve' is incompletely declared: no meaning"):
        check_declarations(_declared_with("approve", meaning=""))


def test_an_unknown_role_is_refused():
    with pytest.raises(DeclarationError, match=r"unknown roles \['manager'\]"):
        check_declarations(_declared_with("approve", roles=frozenset({"manager"})))


def test_a_command_declaring_another_status_than_its_event_leaves_is_refused_in_one_line():
    with pytest.raises(DeclarationError) as refused:
        check_declarations(_declared_with("reopen", target=Status.SUBMITTED))
    assert str(refused.value) == ("command 'reopen' is wrongly declared: its event Reopened from cancelled "
                                  "leaves the PO draft, not submitted")


def test_a_command_declaring_a_remark_its_event_does_not_set_is_refused():
    with pytest.raises(DeclarationError, match="^command 'reject' is wrongly declared: its event Rejected from "
                                               "submitted does not leave its text in cancellation_reason$"):
        check_declarations(_declared_with("reject", remark="cancellation_reason"))


def test_an_event_leading_back_to_draft_but_keeping_earlier_remarks_is_refused(monkeypatch):
    from aggregates.purchase_order import PurchaseOrder

    monkeypatch.setattr(PurchaseOrder, "_enter", lambda po, status: setattr(po, "status", status.value))
    with pytest.raises(DeclarationError, match=r"^command 'submit' is wrongly declared: its event Submitted from "
                                               r"draft leads to submitted but keeps the remarks \["):
        check_declarations()


def test_read_models_take_each_events_status_from_the_declarations():
    assert {event: status for event, status in STATUS_AFTER.items() if event in ("Submitted", "Reopened")} == {
        "Submitted": "submitted", "Reopened": "draft"}


# --- the public event contract (aggregates/public_events.py) -------------------


def _aggregate_with_an_undeclared_event() -> type:
    from eventsourcing.domain import Aggregate, event

    class Invoice(Aggregate):
        @event("Issued")
        def issue(self) -> None:
            pass

    return Invoice


def test_every_event_has_a_public_form_or_is_marked_internal():
    check_public_events()


def test_an_event_without_a_public_form_or_an_internal_mark_is_refused_in_one_line():
    with pytest.raises(DeclarationError) as refused:
        check_public_events((_aggregate_with_an_undeclared_event(),))
    assert str(refused.value) == ("event Invoice.Created has no public form and is not marked internal "
                                  "(aggregates/public_events.py PUBLIC_EVENTS or INTERNAL)")


def test_a_public_form_showing_a_field_its_event_lacks_is_refused(monkeypatch):
    from aggregates import public_events

    wrong = dataclasses.replace(public_events.BY_EVENT[("PurchaseOrder", "Rejected")], fields=("motive",))
    monkeypatch.setitem(public_events.BY_EVENT, ("PurchaseOrder", "Rejected"), wrong)
    with pytest.raises(DeclarationError, match=r"PurchaseOrder.Rejected's public form names fields it does not "
                                               r"have: \['motive'\]"):
        check_public_events()


def test_an_undeclared_event_stops_the_application_before_it_serves(monkeypatch):
    from app import bootstrap
    from app.http import declarations

    monkeypatch.setattr(declarations.check_public_events, "__defaults__",
                        ((_aggregate_with_an_undeclared_event(),),))
    with pytest.raises(DeclarationError, match="^event Invoice.Created has no public form"):
        bootstrap.create_app(services=object())


def test_the_committed_event_catalogue_is_up_to_date():
    from pathlib import Path

    from app.tools.event_catalogue import render_markdown

    committed = Path(__file__).resolve().parents[2] / "docs" / "integrators" / "events.md"
    assert committed.read_text() == render_markdown(), "run `procura docs events` and commit the result"


def test_a_body_must_be_sent_only_when_its_schema_requires_a_field(monkeypatch):
    from marshmallow import fields

    from app.http.schemas import BODY_SCHEMAS, StrictSchema, body_required

    class NoteSchema(StrictSchema):
        note = fields.String()

    monkeypatch.setitem(BODY_SCHEMAS, "note", NoteSchema)
    assert (body_required("note"), body_required("reason")) == (False, True)
