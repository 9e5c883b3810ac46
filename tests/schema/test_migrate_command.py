"""`procura migrate`, `migrate status`, `migrate --dry-run`, and the start-up
policy, against real PostgreSQL and SQLite databases."""

from __future__ import annotations

import configparser
import contextlib
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg
import pytest
import requests

from app.schema.postgres import LOCK_KEY
from app.schema.steps import load_steps
from projections import read_models
from testkit.logs import written_so_far
from testkit.server import ROOT, serving_process, wait_until
from tests.schema.conftest import execute, procura, procura_env, query, schema_text

pytestmark = pytest.mark.external

STEPS = load_steps("sqlite")
LATEST = len(STEPS)


def setup_cfg_version() -> str:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return parser["metadata"]["version"]


def has_table(database: str | Path, name: str) -> bool:
    if isinstance(database, Path):
        return bool(query(database, f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '{name}'"))
    return query(database, f"SELECT to_regclass('{name}')")[0][0] is not None


def applied_steps(database: str | Path) -> list[tuple]:
    return query(database, "SELECT number, name, release FROM procura_schema_steps ORDER BY number")


def columns(database: str | Path, table: str) -> list[str]:
    if isinstance(database, Path):
        return sorted(row[1] for row in query(database, f"PRAGMA table_info({table})"))
    return sorted(row[0] for row in query(
        database, f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}'"))


def test_migrate_brings_an_empty_database_to_the_latest_version(database):
    result = procura("migrate", env=procura_env(database))

    assert result.returncode == 0, result.stderr
    assert [line.removeprefix("applied ") for line in result.stdout.splitlines()[:-1]] == [s.name for s in STEPS]
    assert f"schema at version {LATEST}" in result.stdout
    assert applied_steps(database) == [(s.number, s.name, setup_cfg_version()) for s in STEPS]


def test_migrate_again_applies_nothing(database):
    env = procura_env(database)
    procura("migrate", env=env)
    before = schema_text(database)

    again = procura("migrate", env=env)

    assert again.returncode == 0, again.stderr
    assert "applied" not in again.stdout
    assert schema_text(database) == before


def test_status_lists_each_step_applied_or_pending(database):
    env = procura_env(database)
    execute(database, "CREATE TABLE unrelated (x INTEGER)")  # a database that is not empty, not migrated

    before = procura("migrate", "status", env=env)
    procura("migrate", env=env)
    after = procura("migrate", "status", env=env)

    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines()[0].startswith(f"schema version 0; release {setup_cfg_version()} "
                                                    f"knows {LATEST} steps, {LATEST} pending")
    assert all(line.endswith("pending") for line in before.stdout.splitlines()[1:])
    assert after.stdout.splitlines()[0].endswith("0 pending")
    assert all(f"by release {setup_cfg_version()}" in line for line in after.stdout.splitlines()[1:])


def test_dry_run_prints_the_pending_steps_and_changes_nothing(database):
    env = procura_env(database)
    before = schema_text(database) if isinstance(database, str) else ""

    result = procura("migrate", "--dry-run", env=env)

    assert result.returncode == 0, result.stderr
    for step in STEPS:
        assert f"-- step {step.name}" in result.stdout
    assert "ALTER TABLE rm_cycle_decisions ADD COLUMN duration_bucket" in result.stdout
    if isinstance(database, Path):
        assert not database.exists() or schema_text(database) == ""
    else:
        assert schema_text(database) == before


def test_read_model_tables_have_the_columns_their_models_declare(database):
    """Rebuilds create tables from the declarations; they must equal the migrated ones."""
    procura("migrate", env=procura_env(database))

    for model in read_models():
        for table in model.tables:
            declared = sorted(part.strip().split()[0] for part in table.columns.split(","))
            assert columns(database, table.name) == declared, table.name


#: The step whose backfill the failing-step test makes fail (0003_cycle_time_buckets).
BACKFILL_STEP = 3


def test_a_failing_step_rolls_back_whole_and_names_itself(database):
    env = procura_env(database)
    _migrate_up_to(database, BACKFILL_STEP - 1)
    execute(database, "INSERT INTO rm_cycle_decisions (po_id, version, org, department, outcome, decided_at, "
                      "duration_us) VALUES ('po', 2, 'org', NULL, 'approved', '2026-01-01T00:00:00.000000Z', 5)")
    _refuse_updates_of_cycle_decisions(database)  # the step's backfill fails after its ALTER TABLE ran
    before = schema_text(database)

    result = procura("migrate", env=env)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"procura: schema step {STEPS[BACKFILL_STEP - 1].name} failed and was rolled back: ")
    assert "updates refused" in result.stderr
    assert schema_text(database) == before
    assert [row[0] for row in applied_steps(database)] == list(range(1, BACKFILL_STEP))


def _migrate_up_to(database: str | Path, number: int) -> None:
    from app.config import Settings
    from app.schema import migrator_for
    from tests.conftest import SECRET

    settings = (Settings(sqlite_path=database, jwt_secret=SECRET) if isinstance(database, Path)
                else Settings(database_url=database, jwt_secret=SECRET))
    migrator_for(settings).migrate(up_to=number)


def _refuse_updates_of_cycle_decisions(database: str | Path) -> None:
    if isinstance(database, Path):
        execute(database, "CREATE TRIGGER refuse BEFORE UPDATE ON rm_cycle_decisions "
                          "BEGIN SELECT RAISE(ABORT, 'updates refused'); END")
        return
    execute(database,
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'updates refused'; END $$",
            "CREATE TRIGGER refuse BEFORE UPDATE ON rm_cycle_decisions FOR EACH ROW EXECUTE FUNCTION refuse()")


def test_processes_refuse_to_start_with_pending_steps_when_auto_migrate_is_off(database):
    env = procura_env(database, PROCURA_AUTO_MIGRATE="false")
    _migrate_up_to(database, 1)

    for command in ("serve", "worker"):
        result = procura(command, env=env, timeout=60)

        assert result.returncode == 1, command
        assert result.stderr.strip().splitlines()[-1] == (
            f"procura: the database schema lacks steps {', '.join(s.name for s in STEPS[1:])}; "
            "run `procura migrate` (or start with PROCURA_AUTO_MIGRATE=true)")
    assert [row[0] for row in applied_steps(database)] == [1]


@contextlib.contextmanager
def holding_the_migration_lock(database: str | Path):
    """Hold what a migrating process holds, as another process would."""
    if isinstance(database, Path):
        conn = sqlite3.connect(database, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.rollback()
            conn.close()
        return
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        yield
        conn.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))


def test_migrate_waits_for_another_migrating_process_and_says_so(database):
    env = procura_env(database)
    with tempfile.TemporaryFile(mode="w+") as errors:
        with holding_the_migration_lock(database):
            process = subprocess.Popen([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env,
                                       stdout=subprocess.DEVNULL, stderr=errors, text=True)

            def said_it_waits() -> bool:
                return "waiting for another process" in written_so_far(errors)

            wait_until(said_it_waits, timeout=30, what="the line saying migrate waits")
            assert process.poll() is None
        assert process.wait(timeout=60) == 0
    assert [row[0] for row in applied_steps(database)] == [s.number for s in STEPS]


def test_migrate_gives_up_after_the_configured_wait_with_one_line(database):
    env = procura_env(database, PROCURA_MIGRATE_WAIT_SECONDS="1")
    with holding_the_migration_lock(database):
        result = procura("migrate", env=env, timeout=60)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("procura: gave up ")
    assert "PROCURA_MIGRATE_WAIT_SECONDS" in result.stderr
    assert not has_table(database, "procura_schema_steps")


def test_healthz_reports_the_release_and_the_schema_version(database):
    with serving_process(procura_env(database), workers=1, threads=2) as (base, _process):
        health = requests.get(f"{base}/healthz", timeout=5).json()

    assert health == {"status": "ok", "release": setup_cfg_version(), "schema_version": LATEST}


def test_the_rank_bucket_step_buckets_durations_as_the_read_model_does(database):
    from projections.cycle_times import rank_bucket_of

    dialect = "sqlite" if isinstance(database, Path) else "postgres"
    step = (ROOT / "app" / "schema" / "steps" / dialect / "0012_cycle_time_days.sql").read_text()
    expression = re.search(r"SET rank_bucket = (CASE .*? END);", step, re.S).group(1)
    durations = [-5, 0, 9, 10, 11, 99, 100, 109, 110, 999, 1000, 3_599_999_999, 3_600_000_000,
                 86_400_000_001, 2**62]
    values = ", ".join(f"({d})" for d in durations)
    rows = query(database, f"WITH d(duration_us) AS (VALUES {values}) SELECT {expression} FROM d")

    assert [r[0] for r in rows] == [rank_bucket_of(d) for d in durations]
