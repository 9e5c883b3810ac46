"""The spend report narrowed to one department or one supplier, alone or
with grouping, a period and CSV, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import User
from tests.projections.test_read_model_http import catch_up

OTHER_SUPPLIER = "globex"


@pytest.fixture
def settings(any_backend_settings):
    return dataclasses.replace(any_backend_settings, suppliers=("acme", OTHER_SUPPLIER))


@pytest.fixture
def approved_orders(services, client):
    """Three approved POs: eng/acme 3748.50, eng/globex 10.00, ops/acme 20.00."""
    approver = User(client, "boss", ("admin",), department="it")
    cheap = [{"sku": "PEN", "description": "pens", "quantity": 1, "unit_price": "10.00"}]
    dear = [{"sku": "INK", "description": "ink", "quantity": 2, "unit_price": "10.00"}]
    for who, changes in ((User(client, "alice", department="eng"), {}),
                         (User(client, "alice", department="eng"), {"supplier_id": OTHER_SUPPLIER, "lines": cheap}),
                         (User(client, "zoe", department="ops"), {"lines": dear})):
        created = who.create(**changes)
        assert created.status_code == 201, created.get_json()
        po = created.get_json()["id"]
        assert who.command(po, "submit", 1).status_code == 200
        assert approver.command(po, "approve", 2).status_code == 200
    catch_up(services)
    return User(client, "dave", ("analyst",), department="finance")


def groups(response) -> list[tuple]:
    assert response.status_code == 200, response.get_json()
    return [(g["group"], g["approved_total"], g["approved_count"]) for g in response.get_json()["groups"]]


def test_spend_filtered_by_department_counts_only_that_departments_orders(approved_orders):
    found = approved_orders.get("/reports/spend?group_by=supplier&department=eng")
    assert groups(found) == [("acme", "3748.50", 1), (OTHER_SUPPLIER, "10.00", 1)]


def test_spend_filtered_by_supplier_counts_only_that_suppliers_orders(approved_orders):
    found = approved_orders.get("/reports/spend?supplier_id=acme")
    assert groups(found) == [("eng", "3748.50", 1), ("ops", "20.00", 1)]


def test_spend_filters_combine_with_each_other_and_with_the_period(approved_orders):
    assert groups(approved_orders.get("/reports/spend?department=eng&supplier_id=acme&group_by=month"))[0][1:] == \
        ("3748.50", 1)
    assert groups(approved_orders.get("/reports/spend?department=ops&supplier_id=" + OTHER_SUPPLIER)) == []
    assert groups(approved_orders.get("/reports/spend?department=eng&to=2000-01-01")) == []


def test_spend_filters_apply_to_the_csv_answer_too(approved_orders):
    csv = approved_orders.get("/reports/spend?group_by=department&supplier_id=" + OTHER_SUPPLIER,
                              headers={"Accept": "text/csv"})
    assert csv.mimetype == "text/csv"
    assert csv.get_data(as_text=True).splitlines() == [
        "department,currency,approved_total,approved_count,placed_total,placed_count", "eng,EUR,10.00,1,0.00,0"]


def test_empty_repeated_or_overlong_spend_filters_are_422_on_their_parameter(approved_orders):
    refused = approved_orders.get("/reports/spend?department=&supplier_id=a&supplier_id=b")
    assert refused.status_code == 422
    assert {(e["pointer"], e["code"]) for e in refused.get_json()["errors"]} == {
        ("/department", "invalid"), ("/supplier_id", "repeated")}
    assert approved_orders.get("/reports/spend?department=" + "x" * 201).status_code == 422
