"""The `procura` command line, as an operator uses it."""

from __future__ import annotations

import re

import jwt
import pytest
from click.testing import CliRunner

from app.cli import main
from app.config import DEV_JWT_SECRET


def test_token_prints_only_a_token_with_the_requested_claims(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PROCURA_JWT_SECRET", raising=False)
    result = CliRunner().invoke(main, ["token", "--sub", "bob", "--org", "o1", "--roles", "approver",
                                       "--department", "eng", "--approval-limit", "500.00"])
    assert result.exit_code == 0
    claims = jwt.decode(result.output.strip(), DEV_JWT_SECRET, algorithms=["HS256"])
    assert (claims["sub"], claims["roles"], claims["approval_limit"]) == ("bob", ["approver"], "500.00")


def test_token_refuses_an_unknown_role():
    result = CliRunner().invoke(main, ["token", "--sub", "x", "--org", "o", "--roles", "root"])
    assert result.exit_code != 0 and "roles" in result.output


def test_a_bad_configuration_stops_with_one_line_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://h/db")
    monkeypatch.setenv("PROCURA_JWT_SECRET", "short")
    result = CliRunner().invoke(main, ["token", "--sub", "x", "--org", "o", "--roles", "admin"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "procura: configuration error: PROCURA_JWT_SECRET: must be at least 32 bytes"]


def test_seeding_the_demo_twice_creates_its_pos_once(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PROCURA_SQLITE_PATH", str(tmp_path / "demo.sqlite3"))
    runner = CliRunner()
    first = runner.invoke(main, ["seed-demo"])
    second = runner.invoke(main, ["seed-demo"])
    assert first.exit_code == second.exit_code == 0, first.output
    assert _po_ids(first.output) == _po_ids(second.output) != set()


def _po_ids(output: str) -> set[str]:
    return set(re.findall(r"purchase-orders/([0-9a-f-]{36})", output))


def test_token_still_mints_for_development_and_says_an_identity_provider_would_refuse_it(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PROCURA_JWT_SECRET", raising=False)
    for name, value in {"PROCURA_JWT_JWKS_URL": "https://idp.example/keys", "PROCURA_JWT_ISSUER": "https://idp.example/",
                        "PROCURA_JWT_AUDIENCE": "procura"}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["token", "--sub", "bob", "--org", "o1", "--roles", "approver"])
    assert result.exit_code == 0
    assert jwt.decode(result.stdout.strip(), DEV_JWT_SECRET, algorithms=["HS256"])["sub"] == "bob"
    assert "identity provider" in result.stderr


def test_version_prints_the_release():
    from app.schema import release

    result = CliRunner().invoke(main, ["--version"])
    assert (result.exit_code, result.output.strip()) == (0, f"procura {release()}")


@pytest.mark.external
def test_serve_takes_its_address_and_sizes_from_the_environment(tmp_path):
    import os
    import subprocess
    import sys

    from testkit.server import ROOT, UNTHROTTLED, answers, free_port, stop, wait_until

    port = free_port()
    env = {**os.environ, **UNTHROTTLED, "PROCURA_SQLITE_PATH": str(tmp_path / "p.sqlite3"), "PROCURA_PORT": str(port),
           "PROCURA_THREADS": "2"}
    env.pop("DATABASE_URL", None)
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/healthz"), 30, what="the server on PROCURA_PORT")
    finally:
        stop(server)

