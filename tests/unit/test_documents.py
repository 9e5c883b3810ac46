"""The PO document every command answers with is exactly what its published
schema (PurchaseOrderOut, the source of the OpenAPI document) describes."""

from __future__ import annotations

import json

import pytest

from aggregates.policy import Principal
from aggregates.transitions import Status
from app.http.output_schemas import PurchaseOrderOut
from app.http.render import encode, po_document
from tests.unit.test_purchase_order import a_draft, apply, po_in

SCHEMA = PurchaseOrderOut()
ADMIN = Principal(sub="root", org="o1", roles=frozenset({"admin"}), department=None, approval_limit=None)


def documents():
    for status in Status:
        yield status.value, po_in(status)
    shipped = po_in(Status.PLACED)
    apply(shipped, "record_shipment")
    yield "shipped", shipped
    no_department = po_in(Status.DRAFT)
    no_department.department = None
    yield "no-department", no_department
    revised = po_in(Status.DRAFT)
    revised.revise(a_draft(title="Ünïcode \u2603", lines=a_draft().lines * 3))
    yield "revised", revised


@pytest.mark.parametrize(("name", "po"), list(documents()), ids=[name for name, _ in documents()])
def test_the_po_document_is_what_the_schema_dumps_from_its_own_loaded_form(name, po):
    document = po_document(po, ADMIN)
    assert SCHEMA.dump(SCHEMA.load(document)) == document


def test_the_po_document_lists_every_field_of_the_schema():
    assert set(po_document(po_in(Status.PLACED), ADMIN)) == set(SCHEMA.fields)


def test_encoded_documents_are_the_json_of_the_document():
    document = po_document(po_in(Status.REJECTED), ADMIN)
    assert json.loads(encode(document)) == document


def test_what_the_fast_encoder_refuses_is_still_encoded():
    document = {"text": "lone \ud800 surrogate", "big": 2**70}
    assert json.loads(encode(document)) == document


def test_a_list_item_has_the_po_documents_fields_but_its_lines():
    from app.http.read_schemas import OrderSummaryOut

    assert set(OrderSummaryOut().fields) == set(SCHEMA.fields) - {"lines"}
