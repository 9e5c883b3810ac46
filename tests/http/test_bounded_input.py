"""Input a hostile probe sent a real server on PostgreSQL: ids too long for
any index, spreadsheet formulas behind invisible characters, organisations
named like Procura's own namespaces, and bodies with thousands of mistakes.
Each is a clear client error (or a neutralised cell), never a 503 or a
megabyte of errors, and nobody reads what is not theirs."""

from __future__ import annotations

import csv
import io
import json
import secrets
import uuid
from datetime import UTC, datetime

import pytest
import requests
from standardwebhooks import Webhook

from app.bootstrap import build_services
from app.config import DEV_WEBHOOK_SECRET
from app.service import support
from app.suppliers.callbacks import unmatched_callbacks
from testkit.server import LiveClient, running_server, wait_until
from tests.conftest import SECRET, User, po_body, postgres_settings, token
from tests.projections.test_worker_processes import worker

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def live(module_pg_database_url):
    env = {"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET,
           "PROCURA_WEBHOOK_SECRETS": f"acme={DEV_WEBHOOK_SECRET}"}
    with running_server(env, workers=1, threads=4) as base:
        services = build_services(postgres_settings(module_pg_database_url))
        yield base, services
        services.close()


def callback(base: str, webhook_id: str, *, signed: bool = True) -> requests.Response:
    """An Acme callback naming no PO Procura knows (recorded as unmatched when accepted)."""
    raw = json.dumps({"type": "order.accepted", "orderNo": "AC-9", "clientRef": str(uuid.uuid4())})
    moment = datetime.now(UTC)
    signature = Webhook(DEV_WEBHOOK_SECRET).sign(webhook_id, moment, raw) if signed else "v1,Zm9yZ2Vk"
    return requests.post(f"{base}/callbacks/suppliers/acme", data=raw.encode(), timeout=10, headers={
        "Content-Type": "application/json", "webhook-id": webhook_id,
        "webhook-timestamp": str(int(moment.timestamp())), "webhook-signature": signature})


def recorded_ids(services) -> set[str]:
    return {entry["delivery_id"] for entry in unmatched_callbacks(services.event_store)}


# --- identifiers that reach an index -------------------------------------------------


def test_a_signed_callback_with_a_3000_character_webhook_id_is_refused_400_not_503(live):
    base, services = live
    webhook_id = "msg_" + secrets.token_urlsafe(2250)  # 3,000 characters PostgreSQL cannot compress

    answer = callback(base, webhook_id)

    assert answer.status_code == 400, answer.text
    problem = answer.json()
    assert (problem["type"], problem["header"]) == ("/problems/malformed-request", "webhook-id")
    assert "1-255" in problem["detail"]
    assert webhook_id not in recorded_ids(services)


def test_a_signed_callback_with_a_255_character_webhook_id_is_recorded(live):
    base, services = live
    webhook_id = "msg_" + "y" * 251

    answer = callback(base, webhook_id)

    assert (answer.status_code, answer.json()) == (202, {"outcome": "unmatched"})
    assert webhook_id in recorded_ids(services)


def test_an_overlong_webhook_id_is_refused_400_before_its_signature_is_checked(live):
    base, _ = live

    answer = callback(base, "msg_" + "z" * 256, signed=False)

    assert (answer.status_code, answer.json()["header"]) == (400, "webhook-id")


# --- a 422 of bounded size ------------------------------------------------------------------


def test_a_body_with_60000_unknown_fields_gets_a_small_422_listing_the_first_50(live):
    base, _ = live
    body = {**po_body(), **{f"u{n}": 0 for n in range(60_000)}}
    data = json.dumps(body, separators=(",", ":")).encode()
    assert len(data) < 1024 * 1024

    answer = requests.post(f"{base}/purchase-orders", data=data, timeout=30, headers={
        "Authorization": "Bearer " + token(), "Idempotency-Key": f"k-{uuid.uuid4()}",
        "Content-Type": "application/json"})

    assert answer.status_code == 422
    problem = answer.json()
    assert len(problem["errors"]) == 50
    assert {e["code"] for e in problem["errors"]} == {"unknown-field"}
    assert problem["errors_omitted"] == 60_000 - 50
    assert len(answer.content) < 16 * 1024


# --- CSV cells that a spreadsheet would run --------------------------------------------------

#: Departments (from the token) hiding a formula behind characters a spreadsheet skips.
HIDDEN_FORMULAS = [" =1+1", "\u00a0=HYPERLINK(\"http://x\")", "\u3000+1", "\u200b-1", "\ufeff@SUM(A1)",
                   "\u2060\u200d=2"]


def approved_in(client: LiveClient, department: str) -> int:
    """Approve a PO of `department`; the position of the approval."""
    alice = User(client, "alice", ("requester",), department=department)
    bob = User(client, "bob", ("approver",), department=department, approval_limit="99999.00")
    po = alice.create().get_json()
    assert alice.command(po["id"], "submit", 1).status_code == 200
    approved = bob.command(po["id"], "approve", 2)
    assert approved.status_code == 200, approved.get_json()
    return int(approved.headers["Event-Position"])


def test_spend_csv_neutralises_formulas_hidden_behind_spaces_and_invisible_characters(live, module_pg_database_url):
    base, _ = live
    client = LiveClient(base)
    position = max(approved_in(client, department) for department in HIDDEN_FORMULAS)
    dave = User(client, "dave", ("analyst",), department="finance")

    with worker(module_pg_database_url):
        report = wait_until(lambda: (r := dave.get(f"/reports/spend?min_position={position}",
                                                   headers={"Accept": "text/csv"})).status_code == 200 and r,
                            timeout=30, what="the spend read model")

    groups = {row[0] for row in list(csv.reader(io.StringIO(report.get_data(as_text=True))))[1:]}
    assert groups == {"'" + department for department in HIDDEN_FORMULAS}


# --- organisations Procura keeps for itself --------------------------------------------


@pytest.mark.parametrize("org", ["supplier:acme", "SUPPLIER:acme"])
def test_a_token_whose_org_is_a_suppliers_callback_namespace_cannot_trace_its_callbacks(live, org):
    base, _ = live
    webhook_id = f"msg_{uuid.uuid4().hex}"
    assert callback(base, webhook_id).status_code == 202

    answer = requests.get(f"{base}/trace", params={"id": webhook_id}, timeout=10, headers={
        "Authorization": "Bearer " + token("eve", ("auditor",), org=org, department="audit")})

    assert answer.status_code == 401, answer.text
    assert answer.json()["type"] == "/problems/unauthenticated"
    assert "reserves" in answer.json()["detail"]


def test_a_trace_under_a_callback_org_never_lists_callback_records(live):
    """The second guard: whatever org a caller arrives with, no org-scoped
    query returns the suppliers' callback records."""
    base, services = live
    webhook_id = f"msg_{uuid.uuid4().hex}"
    assert callback(base, webhook_id).status_code == 202

    assert support.trace_commands(services.event_store, "supplier:acme", webhook_id) == ([], False)
