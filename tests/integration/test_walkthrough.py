"""The README's walkthrough, run as a reader runs it: the fake Acme supplier,
`procura seed-demo` and `procura serve` on the embedded default, started the
way `scripts/run` starts them; the `export` lines seed-demo printed, then the
README's blocks in one bash, with curl and python3."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import requests

from testkit.server import ROOT, answers, free_port, serving_process, stop, wait_until
from testkit.walkthrough import readme_steps

pytestmark = pytest.mark.external


def _procura(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT, **kwargs)


@pytest.fixture
def embedded_default(monkeypatch, tmp_path):
    """Only what scripts/run sets: the embedded defaults' key and secrets match the fake's."""
    for name in list(os.environ):
        if name.startswith(("PROCURA_", "FAKE_SUPPLIER_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    supplier_port = free_port()
    monkeypatch.setenv("PROCURA_SUPPLIER_URL", f"http://127.0.0.1:{supplier_port}")
    monkeypatch.setenv("PROCURA_SQLITE_PATH", str(tmp_path / "procura.sqlite3"))
    return supplier_port


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _missing(tool: str):
    message = f"the walkthrough needs {tool} (scripts/test installs curl)"
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def test_the_readme_walkthrough_takes_one_po_from_create_to_received_against_the_demo(embedded_default, tmp_path):
    for tool in ("bash", "curl", "python3"):
        if shutil.which(tool) is None:
            _missing(tool)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    supplier = _procura(
        "fake-supplier",
        "--port",
        str(embedded_default),
        "--callback-url",
        f"{base}/callbacks/suppliers/acme",
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{embedded_default}/_orders"), timeout=15, what="fake supplier")
        seeded = subprocess.run(
            [sys.executable, "-m", "app.cli", "seed-demo", "--base-url", base],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        exports = [line for line in seeded.splitlines() if line.startswith("export ")]
        script = "\n".join(
            ["set -eo pipefail", *exports, *(command for _, command in readme_steps()), 'echo "walkthrough-po $PO"']
        )
        with serving_process({"PROCURA_DRAIN_SECONDS": "0"}, workers=1, threads=4, port=port):
            walked = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
            assert walked.returncode == 0, walked.stdout[-3000:] + walked.stderr[-3000:]
            po_id = walked.stdout.rsplit("walkthrough-po ", 1)[1].strip()
            tokens = dict(line.split()[1].split("=", 1) for line in exports)
            po = requests.get(f"{base}/purchase-orders/{po_id}", headers=_bearer(tokens["CAROL"]), timeout=10).json()
            history = requests.get(
                f"{base}/purchase-orders/{po_id}/history", headers=_bearer(tokens["ERIN"]), timeout=10
            ).json()
    finally:
        stop(supplier)

    assert (po["status"], po["tracking_number"] is not None) == ("received", True)
    # What the README says the PO went through, the replayed submit writing nothing.
    assert [event["type"] for event in reversed(history["events"])] == [
        "Created",
        "Submitted",
        "Approved",
        "PlacementRequested",
        "Placed",
        "Shipped",
        "Received",
    ]
    assert f"{po_id} v1 draft\nv2 submitted\nv3 approved\n" in walked.stdout
    assert "v7 received\nsubmitted\n" in walked.stdout
