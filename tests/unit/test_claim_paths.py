"""Claim paths reach providers' claims wherever they put them."""

from __future__ import annotations

from app.http.claims import claim


def test_a_claim_whose_name_holds_dots_is_found_as_a_top_level_claim():
    assert claim({"https://procura.example/roles": ["buyer"]}, "https://procura.example/roles") == ["buyer"]


def test_a_dotted_path_reaches_into_nested_objects():
    assert claim({"realm_access": {"roles": ["approver"]}}, "realm_access.roles") == ["approver"]


def test_a_path_that_leads_nowhere_is_no_claim():
    assert claim({"realm_access": ["approver"]}, "realm_access.roles") is None
