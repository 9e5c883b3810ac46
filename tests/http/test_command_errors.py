"""Every row of the error table that the write path produces, through HTTP."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from tests.conftest import SECRET, User, new_key, po_body, token


def problem(response, slug, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"/problems/{slug}"
    assert body["instance"] == response.headers["X-Request-Id"]
    return body


@pytest.fixture
def draft_id(alice):
    return alice.create().get_json()["id"]


def raw_post(client, path, data, content_type="application/json", **headers):
    return client.post(path, data=data, content_type=content_type,
                       headers={"Authorization": "Bearer " + token(), "Idempotency-Key": new_key(), **headers})


@pytest.mark.parametrize("data", [b"{not json", b"[1, 2]", b'{"a": NaN}', b'{"a": 1, "a": 2}',
                                  b'{"t": "\xff\xfe"}', b"[" * 100_000])
def test_a_body_that_is_not_a_json_object_is_malformed(client, data):
    body = problem(raw_post(client, "/purchase-orders", data), "malformed-request", 400)
    assert body["next_action"] == "fix_request"


@pytest.mark.parametrize("key", [None, "", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_missing_or_malformed_idempotency_key_is_refused(client, key):
    headers = {"Authorization": "Bearer " + token()}
    if key is not None:
        headers["Idempotency-Key"] = key
    response = client.post("/purchase-orders", json=po_body(), headers=headers)
    problem(response, "idempotency-key-missing", 400)


def _tokens():
    now = datetime.now(UTC)
    good = {"sub": "alice", "org": "org-1", "roles": ["requester"], "exp": now + timedelta(hours=1)}
    return {
        "missing": None,
        "wrong-signature": jwt.encode(good, "another-secret-of-sufficient-length-000000", algorithm="HS256"),
        "expired": jwt.encode({**good, "exp": now - timedelta(seconds=5)}, SECRET, algorithm="HS256"),
        "alg-none": jwt.encode(good, None, algorithm="none"),
        "hs512": jwt.encode(good, SECRET, algorithm="HS512"),
        "no-org": jwt.encode({k: v for k, v in good.items() if k != "org"}, SECRET, algorithm="HS256"),
        "unknown-role": jwt.encode({**good, "roles": ["superuser"]}, SECRET, algorithm="HS256"),
        "garbage": "not.a.token",
    }


@pytest.mark.parametrize("case", list(_tokens()))
def test_a_bad_token_is_unauthenticated_with_a_bearer_challenge(client, case):
    value = _tokens()[case]
    headers = {"Idempotency-Key": new_key()}
    if value:
        headers["Authorization"] = f"Bearer {value}"
    response = client.post("/purchase-orders", json=po_body(), headers=headers)
    body = problem(response, "unauthenticated", 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert body["next_action"] == "authenticate"


def test_a_role_that_may_not_act_is_forbidden_and_told_who_may(client, draft_id):
    carol = User(client, "carol", ("buyer",))
    body = problem(carol.command(draft_id, "submit", 1), "forbidden", 403)
    assert body["required"] == ["admin", "requester"]


def test_an_approver_deciding_on_their_own_po_violates_separation_of_duties(client):
    both = User(client, "ann", ("requester", "approver"), approval_limit="100000.00")
    po = both.create().get_json()["id"]
    both.command(po, "submit", 1)
    problem(both.command(po, "approve", 2), "separation-of-duties", 403)


def test_an_approval_above_the_limit_names_limit_and_total(client, alice):
    po = alice.create().get_json()["id"]
    alice.command(po, "submit", 1)
    low = User(client, "bob", ("approver",), approval_limit="100.00")
    body = problem(low.command(po, "approve", 2), "approval-limit-exceeded", 403)
    assert (body["limit"], body["total"]) == ("100.00", "3748.50")


def test_another_orgs_po_is_not_found_for_reads_and_commands(mallory, draft_id):
    problem(mallory.get(f"/purchase-orders/{draft_id}"), "not-found", 404)
    problem(mallory.get(f"/purchase-orders/{draft_id}/history"), "not-found", 404)
    problem(mallory.command(draft_id, "cancel", 1, {"reason": "x"}), "not-found", 404)


def test_an_unknown_id_or_path_is_not_found(alice):
    problem(alice.get("/purchase-orders/00000000-0000-4000-8000-000000000000"), "not-found", 404)
    problem(alice.get("/purchase-orders/not-a-uuid"), "not-found", 404)


def test_a_wrong_method_is_method_not_allowed_with_allow(alice, draft_id):
    response = alice.client.delete(f"/purchase-orders/{draft_id}", headers=alice.auth)
    problem(response, "method-not-allowed", 405)
    assert "GET" in response.headers["Allow"]


def test_an_illegal_transition_says_what_is_possible_now(client, bob, draft_id):
    body = problem(bob.command(draft_id, "approve", 1), "illegal-transition", 409)
    assert body["current_status"] == "draft"
    assert body["current_version"] == 1
    assert body["allowed_actions"] == []
    assert body["next_action"] == "refresh_and_retry"


def test_a_stale_version_is_a_conflict_listing_the_changes_since(alice, draft_id):
    alice.command(draft_id, "revise", 1, po_body(title="Revised"))
    body = problem(alice.command(draft_id, "submit", 1), "version-conflict", 409)
    assert (body["expected_version"], body["current_version"], body["current_status"]) == (1, 2, "draft")
    assert body["allowed_actions"] == ["revise", "submit", "cancel"]
    assert [(c["version"], c["type"], c["actor"]) for c in body["changes_since"]] == [(2, "Revised", "alice")]


def test_a_key_still_in_flight_is_refused_with_retry_after(services, alice):
    services.commands.in_flight.claim(("org-1", "alice", "busy-key"))
    response = alice.post("/purchase-orders", po_body(), key="busy-key")
    problem(response, "idempotency-key-in-flight", 409)
    assert response.headers["Retry-After"] == "1"


def test_a_body_over_one_mebibyte_is_too_large(client):
    response = raw_post(client, "/purchase-orders", b'{"title": "' + b"x" * (1024 * 1024) + b'"}')
    problem(response, "payload-too-large", 413)


def test_a_body_that_is_not_json_media_type_is_unsupported(client):
    problem(raw_post(client, "/purchase-orders", json.dumps(po_body()), "text/plain"), "unsupported-media-type", 415)


def test_invalid_fields_are_all_reported_at_once_with_pointers(alice):
    bad = po_body(title="", currency="euro", supplier_id="nobody",
                  lines=[{"sku": "A", "description": "a", "quantity": 0, "unit_price": 12.5}])
    body = problem(alice.post("/purchase-orders", bad), "validation-error", 422)
    pointers = {e["pointer"] for e in body["errors"]}
    assert pointers == {"/title", "/currency", "/supplier_id", "/lines/0/quantity", "/lines/0/unit_price"}


@pytest.mark.parametrize("member", ["status", "total", "approved_by", "requester", "department", "org"])
def test_an_undocumented_member_is_refused_and_nothing_is_created(alice, services, member):
    before = services.event_store.head_position()
    body = problem(alice.post("/purchase-orders", {**po_body(), member: "x"}), "validation-error", 422)
    assert body["errors"] == [{"pointer": f"/{member}", "detail": "Unknown field.", "code": "unknown-field"}]
    assert services.event_store.head_position() == before


def test_a_key_reused_for_another_request_is_refused(alice):
    alice.post("/purchase-orders", po_body(), key="once")
    problem(alice.post("/purchase-orders", po_body(title="Other"), key="once"), "idempotency-key-reused", 422)


def test_a_command_without_if_match_requires_a_precondition(alice, draft_id):
    response = alice.post(f"/purchase-orders/{draft_id}/submit")
    assert problem(response, "precondition-required", 428)["current_version"] == 1


def test_an_unexpected_failure_is_an_internal_error_without_internals(alice, services, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr(services.commands, "_decide", explode)
    response = alice.post("/purchase-orders", po_body(), key="boom")
    body = problem(response, "internal-error", 500)
    assert "SELECT" not in response.get_data(as_text=True) and "Traceback" not in response.get_data(as_text=True)
    assert body["next_action"] == "retry_later"


def test_a_5xx_is_not_recorded_so_the_same_key_can_be_retried(alice, services, monkeypatch):
    original = services.commands._decide
    monkeypatch.setattr(services.commands, "_decide", lambda c: (_ for _ in ()).throw(RuntimeError()))
    assert alice.post("/purchase-orders", po_body(), key="retry-me").status_code == 500
    monkeypatch.setattr(services.commands, "_decide", original)
    response = alice.post("/purchase-orders", po_body(), key="retry-me")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response.headers


@pytest.mark.parametrize("slug", ["malformed-request", "version-conflict", "dependency-unavailable",
                                  "approval-limit-exceeded", "internal-error", "projection-behind"])
def test_each_problem_type_has_a_page_for_humans(client, slug):
    response = client.get(f"/problems/{slug}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "next_action" in response.get_data(as_text=True)


def test_a_problem_page_links_to_the_catalogue_rows_that_produce_it(client):
    page = client.get("/problems/separation-of-duties").get_data(as_text=True)
    assert "/docs/behaviour.md#submitted-approve" in page and "approver who requested it" in page
    catalogue = client.get("/docs/behaviour.md")
    assert catalogue.status_code == 200 and '<a id="submitted-approve"></a>' in catalogue.get_data(as_text=True)


def test_a_token_that_expires_between_requests_is_refused_on_the_next(client, monkeypatch):
    short = token(ttl=timedelta(seconds=30))
    headers = {"Authorization": f"Bearer {short}"}
    assert client.get("/purchase-orders/00000000-0000-4000-8000-000000000000", headers=headers).status_code == 404
    later = time.time() + 31
    monkeypatch.setattr("app.http.auth.time.time", lambda: later)
    response = client.get("/purchase-orders/00000000-0000-4000-8000-000000000000", headers=headers)
    assert problem(response, "unauthenticated", 401)["detail"] == "The token has expired."
