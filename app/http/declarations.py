"""The start-up check of the command declarations (aggregates/transitions.py).

Every part of a command is derived from its row, so a row that names
something missing (an intent method, an event, a body kind, a role) would
fail only when a request arrives, and a row whose event the aggregate
applies differently (another status, no remark) would show read models a
status the PO does not have. `check_declarations` finds either first and
names the command and the missing or wrong part in one line. It sits with the web
adapter because it checks that the adapter's schemas (schemas.py,
event_schemas.py) spell every declared body and public field.
"""

from __future__ import annotations

import inspect
from datetime import date
from decimal import Decimal
from uuid import uuid4

from marshmallow import fields

from aggregates.operation import Operation
from aggregates.policy import ROLES
from aggregates.public_events import BY_EVENT, INTERNAL
from aggregates.purchase_order import Draft, Line, PurchaseOrder
from aggregates.transitions import CLEARS_REMARKS, CREATE, DECLARED, REMARKS, Transition
from app.http.event_schemas import FIELD_SCHEMAS
from app.http.schemas import BODY_SCHEMAS, body_fields, takes_draft

#: Answers a successful command may give.
ANSWERS = frozenset({200, 201, 202})


#: The text the outcome check records in every field of an event.
SAMPLE_TEXT = "sample"
#: The text it gives every remark before: a status change must clear them.
EARLIER_TEXT = "earlier"
#: What every event carries besides its own fields.
_ENVELOPE = frozenset({"originator_id", "originator_version", "originator_topic", "timestamp"})


class DeclarationError(ValueError):
    """A command's declaration is incomplete."""


def check_declarations(declared: dict[str, Transition] | None = None) -> None:
    """Raise DeclarationError naming the first incompletely declared command."""
    for row in (declared or DECLARED).values():
        missing = _missing(row)
        if missing:
            raise DeclarationError(f"command {row.command!r} is incompletely declared: {missing}")
        wrong = _outcome_differs(row)
        if wrong:
            raise DeclarationError(f"command {row.command!r} is wrongly declared: {wrong}")


def check_public_events(aggregates: tuple[type, ...] = (PurchaseOrder, Operation)) -> None:
    """Raise DeclarationError naming the first event class of `aggregates`
    with neither a public form nor a place among the internal events
    (aggregates/public_events.py), or a public form naming a field its event
    does not have: a new event is never sent out, or kept in, by accident."""
    for aggregate in aggregates:
        for name, event in _event_classes(aggregate):
            key = (aggregate.__name__, name)
            public = BY_EVENT.get(key)
            if public is None and key not in INTERNAL:
                raise DeclarationError(f"event {aggregate.__name__}.{name} has no public form and is not marked "
                                       "internal (aggregates/public_events.py PUBLIC_EVENTS or INTERNAL)")
            unknown = [f for f in public.fields if f not in _attributes(event)] if public else []
            if unknown:
                raise DeclarationError(f"event {aggregate.__name__}.{name}'s public form names fields it does "
                                       f"not have: {unknown}")
            unspelt = [f for f in public.fields if f not in FIELD_SCHEMAS] if public else []
            if unspelt:
                raise DeclarationError(f"event {aggregate.__name__}.{name}'s public form shows fields with no "
                                       f"schema: {unspelt} (app/http/event_schemas.py FIELD_SCHEMAS)")


def _event_classes(aggregate: type) -> list[tuple[str, type]]:
    """The event classes declared on `aggregate` (not its base Event class)."""
    return [(name, value) for name, value in vars(aggregate).items()
            if isinstance(value, type) and issubclass(value, aggregate.Event) and name != "Event"]


def _attributes(event: type) -> set[str]:
    """What an event of this class carries (events are dataclasses)."""
    return set(getattr(event, "__dataclass_fields__", {}))


def _missing(row: Transition) -> str | None:
    event = getattr(PurchaseOrder, row.event, None)
    if not (isinstance(event, type) and issubclass(event, PurchaseOrder.Event)):
        return f"no event class PurchaseOrder.{row.event}"
    if not row.meaning:
        return "no meaning: the sentence its event's public form tells clients"
    if not row.roles <= ROLES:
        return f"unknown roles {sorted(row.roles - ROLES)}"
    if row.body not in BODY_SCHEMAS:
        return f"no body schema for body {row.body!r} (app/http/schemas.py BODY_SCHEMAS)"
    if row.remark and len(_attributes(event) - _ENVELOPE) != 1:
        return f"remark {row.remark!r} needs an event carrying its text alone (read models take its one field)"
    if row.remark and not _text_fields(row.body):
        return f"remark {row.remark!r} needs a body with a text field"
    if row.answer not in ANSWERS:
        return f"answer {row.answer} is not one of {sorted(ANSWERS)}"
    if row.command != CREATE and row.by_client:
        return _intent_missing(row)
    return None


def _intent_missing(row: Transition) -> str | None:
    """The aggregate's intent method exists and takes the body's arguments."""
    method = getattr(PurchaseOrder, row.command, None)
    if not callable(method):
        return f"no intent method PurchaseOrder.{row.command}"
    leading = (uuid4(),) if row.operation else ()
    try:
        inspect.signature(method).bind(None, *leading, **sample_arguments(row.body))
    except TypeError as error:
        return f"PurchaseOrder.{row.command} does not take the body's arguments ({error})"
    return None


def sample_arguments(kind: str | None, text: str = "") -> dict[str, object]:
    """Arguments of the kind an intent gets from a body of `kind`: a draft
    as `content`, else each of the body schema's fields as `text`."""
    if takes_draft(kind):
        return {"content": None}
    return dict.fromkeys(body_fields(kind), text)


def _text_fields(kind: str | None) -> list[str]:
    return [name for name, field in body_fields(kind).items() if isinstance(field, fields.String)]


def _outcome_differs(row: Transition) -> str | None:
    """What the aggregate does differently, applying the row's event from
    each of its sources, from what the row declares and read models assume:
    the status it leaves (read models take it from the row), the remark
    showing its text, and the others cleared exactly when it leads into
    one of CLEARS_REMARKS."""
    for source in sorted(row.sources) or [None]:
        po = _sample_po()  # creation (no source): the new PO is the outcome
        if source is not None:
            po.status = source.value
            po.__dict__.update(dict.fromkeys(REMARKS, EARLIER_TEXT))
            event = getattr(PurchaseOrder, row.event)
            po.trigger_event(event, **dict.fromkeys(_attributes(event) - _ENVELOPE, SAMPLE_TEXT))
        expected = (row.target or source).value
        applied = f"its event {row.event}" + (f" from {source.value}" if source else "")
        if po.status != expected:
            return f"{applied} leaves the PO {po.status}, not {expected}"
        if row.remark and getattr(po, row.remark, None) != SAMPLE_TEXT:
            return f"{applied} does not leave its text in {row.remark}"
        kept = [name for name, text in po.remarks().items() if text == EARLIER_TEXT]
        others = [name for name in REMARKS if name != row.remark]
        clears = row.target is not None and row.target in CLEARS_REMARKS
        if source is not None and clears and kept:
            return f"{applied} leads to {po.status} but keeps the remarks {kept} (read models clear them)"
        if source is not None and not clears and kept != others:
            return f"{applied} clears remarks {sorted(set(others) - set(kept))} (read models keep them)"
    return None


def _sample_po() -> PurchaseOrder:
    line = Line("SKU", "sample", 1, Decimal("1.00"))
    content = Draft("sample", "sample", "EUR", date(2000, 1, 1), (line,))
    return PurchaseOrder.draft(org="sample", requester="sample", department=None, content=content)
