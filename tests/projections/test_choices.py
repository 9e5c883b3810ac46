"""The list's pick lists (GET /purchase-orders/choices): the departments of
the POs the caller may see, each once and in order, capped, and the
configured suppliers, on every backend."""

from __future__ import annotations

import dataclasses

import pytest

from aggregates.policy import Principal
from projections import po_summary
from tests.conftest import User
from tests.projections.test_read_model_http import catch_up

OTHER_SUPPLIER = "globex"


@pytest.fixture
def settings(any_backend_settings):
    return dataclasses.replace(any_backend_settings, suppliers=("acme", OTHER_SUPPLIER))


@pytest.fixture
def three_departments(services, client):
    """POs of ops (two), eng and a department-less requester."""
    for name, department in (("zoe", "ops"), ("alice", "eng"), ("zed", "ops"), ("nobody", None)):
        assert User(client, name, department=department).create().status_code == 201
    catch_up(services)


def _choices(user: User) -> dict:
    answer = user.get("/purchase-orders/choices")
    assert answer.status_code == 200, answer.get_json()
    assert answer.headers["Projection-Position"].isdigit()
    return answer.get_json()


def test_an_analyst_picks_from_each_department_of_the_org_once_in_order_and_from_the_configured_suppliers(
        client, three_departments):
    assert _choices(User(client, "dave", ("analyst",), department="finance")) == {
        "departments": ["eng", "ops"], "suppliers": ["acme", OTHER_SUPPLIER], "truncated": False}


def test_a_requester_picks_only_from_the_departments_of_the_pos_it_may_see(client, three_departments):
    assert _choices(User(client, "alice", department="eng"))["departments"] == ["eng"]


def test_an_approver_picks_also_from_their_own_department(client, three_departments):
    assert _choices(User(client, "olga", ("approver",), department="ops"))["departments"] == ["ops"]


def test_the_departments_are_capped_and_say_so(services, three_departments):
    who = Principal(sub="dave", org="org-1", roles=frozenset({"analyst"}), department="finance")

    def listed(store):
        with store.snapshot() as cur:
            return po_summary.departments(cur, who, limit=1)

    assert services.reads.read(listed) == (["eng"], True)
