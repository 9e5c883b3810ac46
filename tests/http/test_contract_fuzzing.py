"""Contract fuzzing: schemathesis generates requests from /openapi.json and
sends them to a live server (`procura serve`, PostgreSQL) with a valid admin
token, in all four of its phases (the document's examples, coverage of every
boundary and missing parameter, random fuzzing, and stateful sequences that
follow the document's links: create -> read, history, submit..., place -> its
operation), under every check schemathesis has: no 5xx; only documented
statuses, media types, headers and bodies; schema-invalid requests refused and
schema-valid ones accepted; a missing required header or an unsupported
method refused; no request succeeding without its token.

The only answers excused are those no schema can state (tests/http/fuzzing_hooks.py):
a 422 for a rule between parameters or for an unknown cursor, and the 503
`projection-behind` for a `min_position` the read model has not reached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from testkit.server import running_server
from tests.conftest import SECRET, token

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
ADMIN = token("root", ("admin", "requester", "buyer"))
#: Cases per operation in the fuzzing phase, and stateful scenarios: each of the
#: document's operations gets this many random cases beside the coverage phase's
#: boundary cases (fixed, and most of the run).
FUZZING_EXAMPLES = 10
STATEFUL_EXAMPLES = 25
PHASES = ("Examples", "Coverage", "Fuzzing", "Stateful")


@pytest.fixture(scope="module")
def live_api(module_pg_database_url):
    with running_server({"DATABASE_URL": module_pg_database_url, "PROCURA_JWT_SECRET": SECRET}) as base:
        yield base


def _config(directory: Path) -> Path:
    """schemathesis's configuration: the token as the document's bearer scheme
    (so the missing-Authorization cases really go without it), no example
    database, and the run's size."""
    config = directory / "schemathesis.toml"
    config.write_text(f"""
[generation]
database = "none"
max-examples = {FUZZING_EXAMPLES}

[auth.openapi.bearer]
bearer = "{ADMIN}"

[phases.stateful.generation]
max-examples = {STATEFUL_EXAMPLES}
""")
    return config


def run_schemathesis(base: str, directory: Path) -> tuple[subprocess.CompletedProcess, list[dict]]:
    excused = directory / "excused.ndjson"
    command = [sys.executable, "-m", "schemathesis.cli", "--config-file", str(_config(directory)),
               "run", f"{base}/openapi.json", "--checks", "all", "--workers", "1", "--continue-on-failure"]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.http.fuzzing_hooks", "PYTHONPATH": str(ROOT),
           "FUZZ_EXCUSED_LOG": str(excused), "NO_COLOR": "1"}
    # In `directory`: schemathesis keeps its own files in the working directory.
    result = subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=900)
    lines = excused.read_text().splitlines() if excused.exists() else []
    return result, [json.loads(line) for line in lines]


def test_no_request_shape_gets_a_5xx_or_an_answer_the_document_does_not_state(live_api, tmp_path):
    started = time.monotonic()
    result, excused = run_schemathesis(live_api, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    for phase in PHASES:
        assert f"✅ {phase}" in output, f"phase {phase} did not run and pass:\n{output[-5000:]}"
    assert "Scenarios:" in output  # the stateful phase followed links, not nothing
    summary = next(line for line in output.splitlines() if " generated, " in line).strip()
    reasons = Counter(e["excuse"] for e in excused)
    print(f"\ncontract fuzzing: {summary} in {time.monotonic() - started:.0f} s; excused: {dict(reasons)}",
          file=sys.__stderr__)
