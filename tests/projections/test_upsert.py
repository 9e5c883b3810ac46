"""Read models write rows with `projections.tables.upsert`: on PostgreSQL
one array statement (many rows) or a statement per row (few), an
executemany on SQLite; all keep the same rows."""

from __future__ import annotations

import pytest

from app.bootstrap import build_services
from projections import tables
from projections.tables import upsert
from tests.conftest import postgres_settings, sqlite_settings


@pytest.fixture(params=[pytest.param("postgres arrays", marks=pytest.mark.postgres),
                        pytest.param("postgres rows", marks=pytest.mark.postgres), "sqlite"])
def store(request, tmp_path, monkeypatch):
    if request.param.startswith("postgres"):
        settings = postgres_settings(request.getfixturevalue("pg_database_url"))
        monkeypatch.setattr(tables, "ARRAYS_FROM", 1 if request.param == "postgres arrays" else 10**6)
    else:
        settings = sqlite_settings(tmp_path / "procura.sqlite3")
    services = build_services(settings)
    with services.read_store.transaction() as cur:
        cur.execute("CREATE TABLE scratch_rows (k TEXT NOT NULL, n BIGINT, note TEXT, PRIMARY KEY (k))")
    yield services.read_store
    services.close()


def rows(store) -> list[dict]:
    return store.query("SELECT k, n, note FROM scratch_rows ORDER BY k")


def test_an_upsert_inserts_new_rows_and_replaces_existing_ones_with_nulls_kept(store):
    with store.transaction() as cur:
        upsert(cur, "scratch_rows", ("k",), [{"k": "a", "n": 1, "note": "x"}, {"k": "b", "n": 2, "note": None}])
    with store.transaction() as cur:
        upsert(cur, "scratch_rows", ("k",), [{"k": "b", "n": 2**40, "note": "it's \"quoted\", {braced}"},
                                             {"k": "c", "n": None, "note": None}])
    assert rows(store) == [{"k": "a", "n": 1, "note": "x"}, {"k": "b", "n": 2**40, "note": "it's \"quoted\", {braced}"},
                           {"k": "c", "n": None, "note": None}]


def test_of_rows_sharing_a_key_in_one_upsert_the_last_wins(store):
    with store.transaction() as cur:
        upsert(cur, "scratch_rows", ("k",), [{"k": "a", "n": 1, "note": "first"}, {"k": "a", "n": 2, "note": "last"}])
    assert rows(store) == [{"k": "a", "n": 2, "note": "last"}]
