"""The schema steps as files, and what a status says about them."""

from __future__ import annotations

import dataclasses

import pytest

from app.schema import SchemaNotReady, migrator_for, prepare_schema
from app.schema.migrator import AppliedStep, SchemaStatus, StepModified
from app.schema.steps import DIALECTS, Step, StepsInvalid, load_steps
from tests.conftest import SECRET


def test_every_step_exists_for_both_databases_under_the_same_name():
    names = {dialect: [s.name for s in load_steps(dialect)] for dialect in DIALECTS}

    assert names["postgres"] == names["sqlite"]
    assert names["postgres"][0] == "0001_initial_schema"


def test_step_files_with_a_gap_in_their_numbers_are_refused(tmp_path):
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "sqlite" / "0001_first.sql").write_text("SELECT 1;")
    (tmp_path / "sqlite" / "0003_third.sql").write_text("SELECT 3;")

    with pytest.raises(StepsInvalid, match="expected number 0002"):
        load_steps("sqlite", tmp_path)


def test_a_stray_file_among_the_steps_is_refused(tmp_path):
    (tmp_path / "sqlite").mkdir()
    (tmp_path / "sqlite" / "0001 First.sql").write_text("SELECT 1;")

    with pytest.raises(StepsInvalid, match="not a step file name"):
        load_steps("sqlite", tmp_path)


def test_sqlite_statements_split_on_complete_statements_and_keep_triggers_whole():
    step = Step(1, "0001_x", "-- a comment; with a semicolon\nCREATE TABLE a (x INTEGER);\n"
                             "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  DELETE FROM a;\nEND;\n-- trailing\n")

    statements = step.sqlite_statements()

    assert len(statements) == 2
    assert statements[0].endswith("CREATE TABLE a (x INTEGER);")
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_an_unterminated_last_statement_is_refused():
    with pytest.raises(StepsInvalid, match="unterminated"):
        Step(1, "0001_x", "CREATE TABLE a (x INTEGER)").sqlite_statements()


def _applied(step: Step, checksum: str | None = None) -> AppliedStep:
    return AppliedStep(step.number, step.name, checksum or step.checksum, "2026-01-01T00:00:00+00:00", "0.2.0")


STEPS = (Step(1, "0001_a", "SELECT 1;"), Step(2, "0002_b", "SELECT 2;"))


def test_status_of_a_partly_migrated_database_lists_the_rest_as_pending():
    status = SchemaStatus(STEPS, (_applied(STEPS[0]),))

    assert (status.version, [s.name for s in status.pending], status.newer, status.modified) == (1, ["0002_b"], (), ())


def test_status_names_steps_a_newer_release_applied():
    later = Step(3, "0003_c", "SELECT 3;")
    status = SchemaStatus(STEPS, (*map(_applied, STEPS), _applied(later)))

    assert (status.version, status.pending, [a.name for a in status.newer]) == (3, (), ["0003_c"])


def test_status_names_a_step_whose_file_changed_after_it_ran():
    status = SchemaStatus(STEPS, (_applied(STEPS[0], checksum="0" * 64), _applied(STEPS[1])))

    assert [s.name for s in status.modified] == ["0001_a"]


def _sqlite_settings(tmp_path, **changes):
    from app.config import Settings

    return dataclasses.replace(Settings(sqlite_path=tmp_path / "db.sqlite3", jwt_secret=SECRET), **changes)


def test_migrating_refuses_a_step_changed_after_it_was_applied(tmp_path):
    migrator = migrator_for(_sqlite_settings(tmp_path))
    migrator.migrate()
    first = migrator.steps[0]
    migrator.steps = (dataclasses.replace(first, sql=first.sql + "\n-- edited\n"), *migrator.steps[1:])

    with pytest.raises(StepModified, match="0001_initial_schema"):
        migrator.migrate()


def test_without_auto_migrate_pending_steps_stop_the_start(tmp_path):
    settings = _sqlite_settings(tmp_path, auto_migrate=False)
    migrator_for(settings).migrate(up_to=2)

    with pytest.raises(SchemaNotReady) as refused:
        prepare_schema(settings)

    assert [s.name for s in refused.value.pending] == [s.name for s in load_steps("sqlite")[2:]]
