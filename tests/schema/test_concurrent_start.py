"""First deploys: every process a process manager starts at once on an empty
database comes up, and each schema step is applied by exactly one of them.
ROUNDS rounds of each (CONCURRENT_START_ROUNDS, default 4)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from app.schema.steps import load_steps
from testkit.logs import written_so_far
from testkit.server import ROOT, free_port, stop, wait_until
from tests.schema.conftest import procura, procura_env, schema_text

pytestmark = pytest.mark.external

STEPS = load_steps("sqlite")
#: Rounds of each start (CONCURRENT_START_ROUNDS): every round starts four or five
#: interpreters at once, a second of CPU each; raise it to hunt a rare interleaving.
ROUNDS = int(os.environ.get("CONCURRENT_START_ROUNDS", "4"))


@dataclass
class Started:
    name: str
    process: subprocess.Popen
    output: tempfile._TemporaryFileWrapper

    def text(self) -> str:
        return written_so_far(self.output)

    def alive(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited {self.process.returncode}: {self.text()[-2000:]}")
        return True


@contextlib.contextmanager
def started_together(commands: dict[str, list[str]], env: dict[str, str]):
    """Start every command at once (stdout and stderr to one file each); stop them afterwards."""
    with contextlib.ExitStack() as stack:
        started = []
        for name, args in commands.items():
            output = stack.enter_context(tempfile.NamedTemporaryFile(mode="w+"))
            process = subprocess.Popen([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                                       stdout=output, stderr=subprocess.STDOUT, text=True)
            started.append(Started(name, process, output))
        try:
            yield {s.name: s for s in started}
        finally:
            for s in started:
                if s.process.poll() is None:
                    s.process.terminate()  # all at once, then wait for each
            for s in started:
                stop(s.process, timeout=20)


def ready(base: str, server: Started) -> bool:
    server.alive()
    try:
        return requests.get(f"{base}/readyz", timeout=2).status_code == 200
    except (requests.ConnectionError, requests.Timeout):  # not listening yet, or busy starting
        return False


def appliers(started: dict[str, Started], step_name: str) -> list[str]:
    """The processes whose output says they applied `step_name`."""
    return [s.name for s in started.values()
            if f"applied {step_name}" in s.text() or f"applied step {step_name}" in s.text()]


def one_round(database: str | Path, commands: dict[str, list[str]], reference_schema: str) -> None:
    port = free_port()
    commands = {"serve": ["serve", "--port", str(port), "--workers", "2", "--threads", "2"], **commands}
    with started_together(commands, procura_env(database)) as started:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: ready(base, started["serve"]), timeout=60, what="the server's readiness")
        for name, s in started.items():
            if name.startswith("migrate"):
                assert s.process.wait(timeout=60) == 0, s.text()
            elif name.startswith("worker"):
                wait_until(lambda s=s: s.alive() and "procura worker: following" in s.text(), timeout=60,
                           what=f"{name} to start following")
        for step in STEPS:
            assert len(appliers(started, step.name)) == 1, (step.name, {n: s.text() for n, s in started.items()})
    assert schema_text(database) == reference_schema


@pytest.fixture
def reference_schema(new_database) -> str:
    """The schema one `procura migrate` alone makes."""
    reference = new_database()
    assert procura("migrate", env=procura_env(reference)).returncode == 0
    return schema_text(reference)


@pytest.mark.parametrize("new_database", ["postgres"], indirect=True)
def test_serve_two_workers_and_migrate_started_at_once_all_come_up_on_postgres(new_database, reference_schema):
    for _ in range(ROUNDS):
        one_round(new_database(), {"worker-1": ["worker"], "worker-2": ["worker"], "migrate": ["migrate"]},
                  reference_schema)


@pytest.mark.parametrize("new_database", ["sqlite"], indirect=True)
def test_serve_and_two_migrates_started_at_once_all_come_up_on_sqlite(new_database, reference_schema):
    for _ in range(ROUNDS):
        one_round(new_database(), {"migrate-1": ["migrate"], "migrate-2": ["migrate"]}, reference_schema)
