"""A database that release 0.1.0 created and filled (tests/fixtures/schema_0_1_0)
upgrades to this release's schema, and everything in it still reads."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from app.bootstrap import build_services
from app.config import Settings
from testkit.pg import temporary_database
from testkit.server import LiveClient, running_server, wait_until
from tests.conftest import SECRET, User
from tests.projections.test_po_search import worker_process
from tests.schema.conftest import procura, procura_env, query, schema_text

pytestmark = pytest.mark.external

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "schema_0_1_0"
MANIFEST = json.loads((FIXTURE / "manifest.json").read_text())


def load_fixture(database: str | Path) -> dict:
    """Load the 0.1.0 dump into the empty `database`; its manifest."""
    if isinstance(database, Path):
        with contextlib.closing(sqlite3.connect(database)) as conn:
            conn.executescript((FIXTURE / "sqlite.sql").read_text())
        return MANIFEST["sqlite"]
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-f", str(FIXTURE / "postgres.sql")],
                   check=True, capture_output=True)
    return MANIFEST["postgres"]


def settings_for(database: str | Path) -> Settings:
    if isinstance(database, Path):
        return Settings(sqlite_path=database, jwt_secret=SECRET, auto_migrate=False)
    return Settings(database_url=database, jwt_secret=SECRET, auto_migrate=False)


@contextlib.contextmanager
def upgrading(database: str | Path):
    """(database, manifest, services) after `procura migrate` on the 0.1.0 fixture."""
    manifest = load_fixture(database)
    result = procura("migrate", env=procura_env(database))
    assert result.returncode == 0, result.stderr
    services = build_services(settings_for(database))
    try:
        yield database, manifest, services
    finally:
        services.close()


@pytest.fixture
def upgraded(database):
    """An upgraded database of the test's own, for a test that changes it."""
    with upgrading(database) as upgraded:
        yield upgraded


@pytest.fixture(scope="module", params=["postgres", "sqlite"])
def upgraded_for_reading(request, tmp_path_factory):
    """One upgraded database per backend, shared by the tests that only read it
    (each upgrade is a `procura migrate` process and a fixture load)."""
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            database = tmp_path_factory.mktemp("upgraded") / "procura.sqlite3"
        else:
            database = stack.enter_context(temporary_database())
        yield stack.enter_context(upgrading(database))


def test_an_upgraded_0_1_0_database_has_the_schema_of_a_new_one(new_database):
    old, new = new_database(), new_database()
    load_fixture(old)

    for database in (old, new):
        assert procura("migrate", env=procura_env(database)).returncode == 0

    assert schema_text(old) == schema_text(new)


def test_every_stored_event_still_reads_as_its_aggregate(upgraded_for_reading):
    database, manifest, services = upgraded_for_reading
    recorder = services.event_store.recorder
    notifications = recorder.select_notifications(start=None, limit=10_000)

    assert len(notifications) == manifest["events_total"]
    assert dict(Counter(n.topic for n in notifications)) == manifest["events_by_topic"]
    ids = {n.originator_id for n in notifications}
    aggregates = [services.event_store.repository.get(i) for i in ids]
    assert sum(type(a).__name__ == "PurchaseOrder" for a in aggregates) == manifest["purchase_orders"]
    assert services.event_store.head_position() == manifest["head_position"]


def test_every_command_record_still_reads(upgraded_for_reading):
    database, manifest, services = upgraded_for_reading
    owners = services.read_store.query(f"SELECT DISTINCT org, principal FROM {manifest['commands_table']}")

    records = [r for o in owners for r in services.event_store.recorder.select_commands(o["org"], o["principal"])]

    assert len(records) == manifest["commands"]
    assert dict(Counter(str(r.status) for r in records)) == manifest["commands_by_status"]
    assert all(r.body is not None and r.created_at.tzinfo is not None for r in records)


def test_read_models_placements_and_tracking_keep_their_rows(upgraded_for_reading):
    database, manifest, services = upgraded_for_reading
    store = services.read_store

    for table, count in manifest["read_model_rows"].items():
        assert store.query(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] == count, table
    states = store.query("SELECT state, COUNT(*) AS n FROM procura_placements GROUP BY state")
    assert {r["state"]: r["n"] for r in states} == manifest["placements_by_state"]
    positions = {name: row["position"] for name, row in store.positions().items()}
    assert {name: positions[name] for name in manifest["tracking"]} == manifest["tracking"]
    # Processors added since start from the beginning of the store (the worker fills the read
    # models; the webhook deliveries find no endpoint there yet, so they send nothing old).
    assert {name: p for name, p in positions.items() if name not in manifest["tracking"]} == {
        "public_events": 0, "support_index": 0, "webhook_deliveries": 0, "po_search": 0}


def test_the_new_cycle_time_column_is_backfilled_for_every_old_decision(upgraded_for_reading):
    database, manifest, services = upgraded_for_reading

    rows = services.read_store.query("SELECT duration_us, duration_bucket FROM rm_cycle_decisions")

    from projections.cycle_times import bucket_of

    assert len(rows) == manifest["read_model_rows"]["rm_cycle_decisions"]
    assert [r["duration_bucket"] for r in rows] == [bucket_of(r["duration_us"]) for r in rows]


def test_every_old_decision_gets_its_rank_bucket_and_counts_on_its_day(upgraded_for_reading):
    database, manifest, services = upgraded_for_reading

    rows = services.read_store.query("SELECT duration_us, rank_bucket FROM rm_cycle_decisions")
    days = services.read_store.query("SELECT SUM(decisions) AS n FROM rm_cycle_days")

    from projections.cycle_times import rank_bucket_of

    assert [r["rank_bucket"] for r in rows] == [rank_bucket_of(r["duration_us"]) for r in rows]
    assert int(days[0]["n"]) == manifest["read_model_rows"]["rm_cycle_decisions"]


def test_old_spend_facts_count_in_their_days_totals(upgraded_for_reading):
    database, manifest, services = upgraded_for_reading

    facts = services.read_store.query("SELECT COUNT(*) AS n, SUM(amount_cents) AS cents FROM rm_spend_facts")
    days = services.read_store.query("SELECT SUM(facts) AS n, SUM(amount_cents) AS cents FROM rm_spend_days")

    assert facts[0]["n"] == manifest["read_model_rows"]["rm_spend_facts"] > 0
    assert (int(days[0]["n"]), int(days[0]["cents"])) == (int(facts[0]["n"]), int(facts[0]["cents"]))


def test_projections_verify_passes_on_the_upgraded_database(upgraded):
    database, _manifest, _services = upgraded

    result = procura("projections", "verify", env=procura_env(database, PROCURA_AUTO_MIGRATE="false"))

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_new_release_indexes_the_pos_an_older_release_stored_and_search_finds_them(upgraded):
    database, manifest, _services = upgraded
    stored = query(database, "SELECT id, org, title, tracking_number FROM rm_po_summary")
    env = {"PROCURA_JWT_SECRET": SECRET, "PROCURA_AUTO_MIGRATE": "false"}
    if isinstance(database, Path):
        env.update(DATABASE_URL="", PROCURA_SQLITE_PATH=str(database))
        following = contextlib.nullcontext()  # the embedded server follows the store itself
    else:
        env["DATABASE_URL"] = database
        following = worker_process(env)

    with running_server(env, workers=1, threads=4) as base, following:
        client = LiveClient(base)

        def found(org: str, q: str) -> list[str]:
            admin = User(client, "root", ("admin",), org)
            path = f"/purchase-orders?q={q}&limit=200&min_position={manifest['head_position']}"
            # 503 projection-behind until the new worker has indexed the old events: ask again.
            response = wait_until(lambda: (lambda r: None if r.status_code == 503 else r)(admin.get(path)),
                                  timeout=60, what="the search model to index the old POs")
            assert response.status_code == 200, response.get_data(as_text=True)
            return [item["id"] for item in response.get_json()["items"]]

        for po_id, org, title, tracking_number in stored:
            assert po_id in found(org, title.split()[0]), title
            if tracking_number:
                assert found(org, tracking_number) == [po_id]


def test_after_an_upgrade_a_search_waits_for_the_search_model_while_the_plain_list_answers(pg_database_url):
    manifest = load_fixture(pg_database_url)
    assert procura("migrate", env=procura_env(pg_database_url)).returncode == 0
    org = query(pg_database_url, "SELECT org FROM rm_po_summary LIMIT 1")[0][0]
    env = {"PROCURA_JWT_SECRET": SECRET, "PROCURA_AUTO_MIGRATE": "false", "DATABASE_URL": pg_database_url}

    with running_server(env, workers=1, threads=4) as base:  # and no worker: nothing indexes the old POs yet
        admin = User(LiveClient(base), "root", ("admin",), org)
        head = manifest["head_position"]
        listed = admin.get(f"/purchase-orders?min_position={head}")
        searched = admin.get(f"/purchase-orders?q=laptops&min_position={head}")

    assert listed.status_code == 200 and listed.get_json()["items"]
    assert searched.status_code == 503
    assert (searched.get_json()["position"], searched.get_json()["min_position"]) == (0, head)
