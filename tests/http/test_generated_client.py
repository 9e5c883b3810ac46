"""The published document generates a typed client: openapi-python-client
builds one from the /openapi.json the app serves without a single warning,
and the PO flow runs through it (over WSGI, in memory) with typed problems
and enums that tolerate values added later (docs/integrators/api.md, "The OpenAPI document")."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from app.bootstrap import build_services, create_app
from tests.conftest import memory_settings, po_body, token

#: Not `procura_client`, the SDK's own package (clients/python), which these
#: tests must not shadow: the generator's imports are relative, so the folder names it.
PACKAGE = "procura_generated"


@pytest.fixture(scope="module")
def flask_app():
    services = build_services(memory_settings())
    yield create_app(services=services)
    services.close()


@pytest.fixture(scope="module")
def generation(flask_app, tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    """The generator run on the served document, as an integrator runs it
    (with its default post-hooks: ruff from this environment)."""
    workdir = tmp_path_factory.mktemp("generated")
    served = flask_app.test_client().get("/openapi.json")
    assert served.status_code == 200
    document = workdir / "openapi.json"
    document.write_bytes(served.get_data())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    run = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document), "--meta", "none",
         "--output-path", str(workdir / PACKAGE)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return run, workdir


@pytest.fixture(scope="module")
def generated(generation):
    run, workdir = generation
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(workdir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(workdir))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _api(name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


def _client(generated, flask_app, sub: str, roles: tuple[str, ...], **claims):
    return generated.AuthenticatedClient(
        base_url="http://procura",
        token=token(sub, roles, **claims),
        raise_on_unexpected_status=True,
        httpx_args={"transport": httpx.WSGITransport(app=flask_app)},
    )


def test_the_generator_reports_no_warning_on_the_served_document(generation):
    run, _ = generation
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower() and "error" not in output.lower(), output
    assert [line for line in output.splitlines() if line.strip()] == [
        line for line in output.splitlines() if line.startswith("Generating ")
    ], output


def test_operations_are_named_after_their_intents(generated):
    for module in (
        "api.commands.create_purchase_order",
        "api.commands.approve_purchase_order",
        "api.purchase_orders.get_purchase_order",
        "api.operations.get_operation",
        "api.read_models.list_purchase_orders",
        "api.reports.export_spend_report_csv",
    ):
        assert hasattr(_api(module), "sync_detailed"), module


def test_a_purchase_order_goes_from_draft_to_approved_through_the_generated_client(generated, flask_app):
    models = _api("models")
    alice = _client(generated, flask_app, "alice", ("requester",))
    bob = _client(generated, flask_app, "bob", ("approver",), approval_limit="10000.00")
    created = _api("api.commands.create_purchase_order").sync_detailed(
        client=alice, body=models.Draft.from_dict(po_body()), idempotency_key=str(uuid.uuid4())
    )
    assert created.status_code == 201 and isinstance(created.parsed, models.PurchaseOrderOut)
    assert created.headers["ETag"] == '"1"' and int(created.headers["Event-Position"]) > 0
    po = created.parsed
    submitted = _api("api.commands.submit_purchase_order").sync(
        po.id, client=alice, idempotency_key=str(uuid.uuid4()), if_match=created.headers["ETag"]
    )
    assert isinstance(submitted, models.PurchaseOrderOut) and submitted.status == "submitted"
    approved = _api("api.commands.approve_purchase_order").sync(
        po.id, client=bob, idempotency_key=str(uuid.uuid4()), if_match=str(submitted.version)
    )
    assert isinstance(approved, models.PurchaseOrderOut) and approved.status == "approved"
    read = _api("api.purchase_orders.get_purchase_order").sync(po.id, client=alice)
    assert read.version == approved.version


def test_a_version_conflict_arrives_as_a_typed_problem(generated, flask_app):
    models = _api("models")
    alice = _client(generated, flask_app, "alice", ("requester",))
    created = _api("api.commands.create_purchase_order").sync(
        client=alice, body=models.Draft.from_dict(po_body()), idempotency_key=str(uuid.uuid4())
    )
    _api("api.commands.revise_purchase_order").sync(
        created.id,
        client=alice,
        body=models.Draft.from_dict(po_body(title="Revised")),
        idempotency_key=str(uuid.uuid4()),
        if_match="1",
    )
    stale = _api("api.commands.submit_purchase_order").sync(
        created.id, client=alice, idempotency_key=str(uuid.uuid4()), if_match="1"
    )
    assert isinstance(stale, models.Problem) and stale.status == 409
    assert (stale.expected_version, stale.current_version, stale.current_status) == (1, 2, "draft")
    assert "submit" in stale.allowed_actions
    assert [(c.version, c.type_) for c in stale.changes_since] == [(2, "Revised")]
    assert stale.next_action == "refresh_and_retry"


def test_an_unknown_supplier_is_refused_with_a_validation_problem(generated, flask_app):
    models = _api("models")
    alice = _client(generated, flask_app, "alice", ("requester",))
    refused = _api("api.commands.create_purchase_order").sync(
        client=alice, body=models.Draft.from_dict(po_body(supplier_id="globex")), idempotency_key=str(uuid.uuid4())
    )
    assert isinstance(refused, models.Problem) and refused.status == 422
    assert [(e.pointer, e.detail) for e in refused.errors] == [("/supplier_id", "unknown supplier; configured: acme")]


def test_values_added_to_an_open_enum_later_are_kept_not_refused(generated):
    models = _api("models")
    problem = models.Problem.from_dict(
        {
            "type": "/problems/new",
            "title": "New",
            "status": 409,
            "detail": "d",
            "instance": "i",
            "next_action": "ask_a_human",
            "novel": 1,
        }
    )
    assert problem.next_action == "ask_a_human" and problem.additional_properties == {"novel": 1}
    operation = models.OperationOut.from_dict(
        {
            "id": str(uuid.uuid4()),
            "kind": "place",
            "status": "paused",
            "purchase_order_id": str(uuid.uuid4()),
            "attempts": 0,
            "created_at": "2026-01-31T10:00:00Z",
            "updated_at": "2026-01-31T10:00:00Z",
            "error": None,
            "result": None,
        }
    )
    assert operation.status == "paused"


def test_a_failed_operation_carries_a_typed_problem(generated):
    models = _api("models")
    failed = models.OperationOut.from_dict(
        {
            "id": str(uuid.uuid4()),
            "kind": "place",
            "status": "failed",
            "purchase_order_id": str(uuid.uuid4()),
            "attempts": 3,
            "created_at": "2026-01-31T10:00:00Z",
            "updated_at": "2026-01-31T10:00:00Z",
            "error": {
                "type": "/problems/supplier-refused",
                "title": "Supplier refused the order",
                "status": 422,
                "detail": "no",
                "instance": "/operations/x",
                "next_action": "stop",
            },
            "result": None,
        }
    )
    assert isinstance(failed.error, models.Problem) and failed.error.next_action == "stop"


def test_the_spend_report_comes_as_csv_text_from_its_own_operation(generated, flask_app):
    analyst = _client(generated, flask_app, "ann", ("analyst",))
    report = _api("api.reports.export_spend_report_csv").sync_detailed(
        client=analyst, group_by=_api("models").ExportSpendReportCsvGroupBy.SUPPLIER
    )
    assert report.status_code == 200 and report.headers["Content-Type"].startswith("text/csv")
    assert isinstance(report.parsed, str) and report.parsed.startswith("supplier,")
