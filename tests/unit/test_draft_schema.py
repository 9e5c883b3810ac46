"""The draft body's supplier check is per schema: applications configured
with different suppliers in one process do not share it."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from app.http.schemas import DraftSchema
from tests.conftest import po_body


def test_draft_schemas_with_different_suppliers_each_accept_exactly_their_own():
    only_acme, both = DraftSchema(suppliers=("acme",)), DraftSchema(suppliers=("acme", "globex"))

    assert both.load(po_body(supplier_id="globex"))["supplier_id"] == "globex"
    with pytest.raises(ValidationError) as refused:
        only_acme.load(po_body(supplier_id="globex"))
    assert "supplier_id" in refused.value.messages
