"""Hostile input the reliability harness (harness/hostile.py) found answered
with a 500 or accepted: each is now a 4xx problem before anything is written."""

from __future__ import annotations

import json

import pytest

from tests.conftest import po_body


def problem(response) -> tuple[int, str, list[str]]:
    document = response.get_json()
    return (response.status_code, document["type"].removeprefix("/problems/"),
            [e["pointer"] for e in document.get("errors", [])])


def test_a_lone_surrogate_escape_in_a_body_is_a_malformed_request_not_a_500(alice):
    body = json.dumps(po_body()).replace("Laptops", "Lap\\ud800tops")
    response = alice.client.post("/purchase-orders", data=body,
                                 headers={**alice.auth, "Idempotency-Key": "k-surrogate",
                                          "Content-Type": "application/json"})
    assert problem(response)[:2] == (400, "malformed-request")


def test_a_valid_surrogate_pair_is_still_accepted(alice):
    body = json.dumps(po_body(title="Mugs \U0001F375"))  # escaped as \ud83c\udf75
    response = alice.client.post("/purchase-orders", data=body,
                                 headers={**alice.auth, "Idempotency-Key": "k-pair",
                                          "Content-Type": "application/json"})
    assert response.status_code == 201
    assert response.get_json()["title"] == "Mugs \U0001F375"


@pytest.mark.parametrize("field", ["title", "sku", "description", "unit"])
def test_a_nul_character_in_a_po_text_field_is_a_validation_error_on_that_field(alice, field):
    body = po_body()
    if field == "title":
        body["title"] = "a\u0000b"
        pointer = "/title"
    else:
        body["lines"][0][field] = "a\u0000b"
        pointer = f"/lines/0/{field}"
    assert problem(alice.create(**body)) == (422, "validation-error", [pointer])


def test_a_nul_character_in_a_reason_is_a_validation_error(alice):
    po = alice.create().get_json()
    response = alice.command(po["id"], "cancel", 1, {"reason": "no\u0000pe"})
    assert problem(response) == (422, "validation-error", ["/reason"])


def test_a_unit_price_too_large_for_a_decimal_is_a_validation_error_not_a_500(alice):
    body = po_body()
    body["lines"][0]["unit_price"] = "1e400"
    assert problem(alice.create(**body)) == (422, "validation-error", ["/lines/0/unit_price"])


@pytest.mark.parametrize("query", ["min_total=99999999999999999999", "max_total=1e400", "min_total=1e19"])
def test_amount_bounds_beyond_any_total_are_validation_errors_not_500s(erin, query):
    pointer = "/" + query.split("=")[0]
    assert problem(erin.get(f"/purchase-orders?{query}")) == (422, "validation-error", [pointer])


@pytest.mark.parametrize("path", ["/purchase-orders?created_to=9999-12-31", "/reports/spend?to=9999-12-31",
                                  "/reports/cycle-times?to=9999-12-31T23:59:59.999999%2B00:00"])
def test_an_upper_date_bound_at_the_end_of_the_calendar_is_a_validation_error_not_a_500(erin, path):
    status, slug, _ = problem(erin.get(path))
    assert (status, slug) == (422, "validation-error")


@pytest.mark.parametrize("parameter", ["q", "department", "requester", "supplier_id"])
def test_a_nul_character_in_a_text_query_parameter_is_a_validation_error(erin, parameter):
    assert problem(erin.get(f"/purchase-orders?{parameter}=a%00b")) == (422, "validation-error", [f"/{parameter}"])


def test_a_repeated_version_parameter_is_refused_rather_than_silently_picking_one(alice):
    po = alice.create().get_json()
    response = alice.get(f"/purchase-orders/{po['id']}?version=1&version=2")
    assert problem(response) == (422, "validation-error", ["/version"])
