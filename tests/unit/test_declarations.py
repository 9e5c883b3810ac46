"""Each command is declared once (aggregates/transitions.py); the start-up
check refuses a declaration that names something missing, in one line."""

from __future__ import annotations

import dataclasses

import pytest

from aggregates.transitions import DECLARED, STATUS_AFTER
from app.service.declarations import DeclarationError, check_declarations


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


def test_an_unknown_role_is_refused():
    with pytest.raises(DeclarationError, match=r"unknown roles \['manager'\]"):
        check_declarations(_declared_with("approve", roles=frozenset({"manager"})))


def test_read_models_take_each_events_status_from_the_declarations():
    assert {event: status for event, status in STATUS_AFTER.items() if event in ("Submitted", "Reopened")} == {
        "Submitted": "submitted", "Reopened": "draft"}
