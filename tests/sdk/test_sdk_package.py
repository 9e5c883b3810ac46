"""The Python SDK as a package (clients/python): its version is the API's
release, its generated client is exactly what the generator makes of the
served document, its own layer passes mypy --strict, it builds as a wheel,
and its webhook helper verifies Standard Webhooks signatures."""

from __future__ import annotations

import base64
import configparser
import filecmp
import importlib.util
import json
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import procura_client
import pytest
from standardwebhooks.webhooks import Webhook

from testkit.server import ROOT

SDK = ROOT / "clients" / "python"


def _generator():
    """clients/python/generate.py, which scripts/generate_client runs."""
    spec = importlib.util.spec_from_file_location("procura_sdk_generate", SDK / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _generator()


def _differences(left: Path, right: Path) -> list[str]:
    compared = filecmp.dircmp(left, right, ignore=["__pycache__"])
    found = [f"only in {compared.left}: {n}" for n in compared.left_only]
    found += [f"only in {compared.right}: {n}" for n in compared.right_only]
    found += [f"differs: {Path(compared.left) / n}" for n in compared.diff_files]
    for name in compared.common_dirs:
        found += _differences(Path(compared.left) / name, Path(compared.right) / name)
    return found


def test_the_sdks_version_is_the_release_of_the_api_it_was_generated_from():
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    release = setup["metadata"]["version"]
    project = tomllib.loads((SDK / "pyproject.toml").read_text())["project"]
    assert project["version"] == release == procura_client.__version__


def test_the_committed_generated_client_is_exactly_what_the_served_document_generates(tmp_path):
    fresh = tmp_path / "_generated"
    generate.generate(fresh)
    assert _differences(fresh, generate.COMMITTED) == [], "run scripts/generate_client and commit what it changed"


def test_the_sdk_passes_mypy_strict(tmp_path):
    checked = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path), "procura_client"],
                             cwd=SDK,
                             capture_output=True, text=True, timeout=600)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.startswith("Success"), checked.stdout


def test_the_sdk_builds_as_a_wheel_with_its_generated_client_and_type_marker(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "--wheel-dir", str(tmp_path), str(SDK)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = tmp_path.glob("procura_client-*.whl")
    assert wheel.name.startswith(f"procura_client-{procura_client.__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    assert "procura_client/py.typed" in names
    assert "procura_client/_generated/api/commands/create_purchase_order.py" in names
    assert not [n for n in names if n.startswith(("generate", "tests/"))]


SECRET = "whsec_" + base64.b64encode(b"a receiver's secret, 32 bytes..").decode()
EVENT = {"id": "evt_1", "type": "purchase_order.approved", "occurred_at": "2026-12-07T10:00:00Z", "org": "o",
         "po_id": "6f1c1c59-3c1b-4a51-9b0e-0f1b9e6a7a11", "po_version": 3, "position": 12,
         "correlation_id": "c", "data": {"approved_by": "bob", "total": "10.00", "currency": "EUR"}}


def _signed(secret: str, body: bytes, at: float | None = None) -> dict[str, str]:
    from datetime import UTC, datetime

    when = datetime.fromtimestamp(at if at is not None else time.time(), tz=UTC)
    return {"Webhook-Id": "msg_1", "Webhook-Timestamp": str(int(when.timestamp())),
            "Webhook-Signature": Webhook(secret).sign("msg_1", when, body.decode())}


def test_a_delivery_signed_with_the_endpoints_secret_gives_its_typed_event():
    body = json.dumps(EVENT).encode()
    event = procura_client.WebhookVerifier(SECRET).verify(body, _signed(SECRET, body))
    assert isinstance(event, procura_client.PublicEventOut)
    assert (event.id, event.type_, event.po_version) == ("evt_1", "purchase_order.approved", 3)


def test_a_delivery_signed_with_another_secret_or_altered_or_stale_is_refused():
    body = json.dumps(EVENT).encode()
    other = "whsec_" + base64.b64encode(b"someone else's secret, 32 bytes").decode()
    verifier = procura_client.WebhookVerifier(SECRET)
    for sent, headers in ((body, _signed(other, body)), (body + b" ", _signed(SECRET, body)),
                          (body, _signed(SECRET, body, at=time.time() - 600))):
        with pytest.raises(procura_client.InvalidSignature):
            verifier.verify(sent, headers)


def test_during_a_rotation_either_secret_verifies():
    body = json.dumps(EVENT).encode()
    new = "whsec_" + base64.b64encode(b"the rotated secret, 32 bytes....").decode()
    verifier = procura_client.WebhookVerifier([new, SECRET])
    assert verifier.verify(body, _signed(SECRET, body)).id == "evt_1"
    assert verifier.verify(body, _signed(new, body)).id == "evt_1"
