"""Running and operating the read models: read-your-writes through a real
server, rebuilding while the API answers, verification that notices drift."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from app.bootstrap import build_services, create_app
from app.cli import main
from projections.maintenance import rebuild, verify
from projections.tables import ReadModel
from testkit.server import ROOT, LiveClient, running_server, wait_until
from tests.conftest import SECRET, User, sqlite_settings


def read_your_writes(base: str) -> None:
    alice = User(LiveClient(base))
    for n in range(15):
        created = alice.create(title=f"Read me {n}")
        po, position = created.get_json()["id"], created.headers["Event-Position"]
        listed = alice.get(f"/purchase-orders?min_position={position}&limit=200")
        assert listed.status_code == 200
        assert po in [item["id"] for item in listed.get_json()["items"]]
        assert int(listed.headers["Projection-Position"]) >= int(position)


@pytest.mark.external
def test_a_client_that_just_wrote_always_reads_it_back_with_min_position_on_the_embedded_server(tmp_path):
    env = {"PROCURA_SQLITE_PATH": str(tmp_path / "procura.sqlite3"), "PROCURA_JWT_SECRET": SECRET,
           "DATABASE_URL": ""}
    with running_server(env, workers=1) as base:
        read_your_writes(base)


@pytest.mark.external
@pytest.mark.postgres
def test_a_client_that_just_wrote_always_reads_it_back_with_min_position_on_postgres_with_a_worker(
        pg_database_url, tmp_path):
    env = {"DATABASE_URL": pg_database_url, "PROCURA_JWT_SECRET": SECRET}
    output = tmp_path / "worker.out"
    with running_server(env) as base, output.open("w") as sink:
        worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT,
                                  env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT)
        try:
            # min_position waits 2 s: a worker still starting (imports, schema check) on a busy
            # machine is not what this test is about.
            wait_until(lambda: "procura worker: following" in output.read_text(), timeout=60,
                       what="the worker to start following")
            read_your_writes(base)
        finally:
            worker.terminate()
            worker.wait(timeout=15)


@pytest.fixture
def sqlite_world(tmp_path):
    services = build_services(sqlite_settings(tmp_path))
    client = create_app(services=services).test_client()
    alice, bob = User(client), User(client, "bob", ("approver",), approval_limit="10000.00")
    for _ in range(30):
        po = alice.create().get_json()["id"]
        alice.command(po, "submit", 1)
        bob.command(po, "approve", 2)
    for follower in services.followers():
        if isinstance(follower.processor, ReadModel):
            follower.catch_up()
    yield services, alice, tmp_path
    services.close()


def test_the_api_keeps_answering_the_same_list_while_a_read_model_is_rebuilt_and_switched(sqlite_world):
    services, alice, _ = sqlite_world
    summary = services.processors[0]
    answers, done = [], threading.Event()

    def keep_reading():
        while not done.is_set():
            response = alice.get("/purchase-orders?limit=200")
            answers.append((response.status_code, len(response.get_json().get("items", []))))

    reader = threading.Thread(target=keep_reading)
    reader.start()
    try:
        for _ in range(3):
            rebuild(services.event_store, services.read_store, summary, batch_size=7)
    finally:
        done.set()
        reader.join()
    assert answers and set(answers) == {(200, 30)}
    assert verify(services.event_store, services.read_store, summary) == []


def test_verify_prints_the_rows_that_drifted_and_exits_non_zero(sqlite_world, monkeypatch):
    services, _, tmp_path = sqlite_world
    monkeypatch.setenv("PROCURA_SQLITE_PATH", str(tmp_path / "procura.sqlite3"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    clean = CliRunner().invoke(main, ["projections", "verify"])
    assert clean.exit_code == 0, clean.output
    with services.read_store.transaction() as cur:
        cur.execute("UPDATE rm_spend_facts SET amount_cents = amount_cents + 1 "
                    "WHERE po_id = (SELECT MIN(po_id) FROM rm_spend_facts)")
    drifted = CliRunner().invoke(main, ["projections", "verify"])
    assert drifted.exit_code == 1
    assert "spend: 1 differing rows" in drifted.output and "rm_spend_facts" in drifted.output
    repaired = CliRunner().invoke(main, ["projections", "rebuild", "spend"])
    assert repaired.exit_code == 0, repaired.output
    assert CliRunner().invoke(main, ["projections", "verify", "spend"]).exit_code == 0
