"""Helpers for schema tests: the procura CLI in a subprocess, and a database's
schema as comparable text."""

from __future__ import annotations

import contextlib
import itertools
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from testkit.pg import temporary_database
from testkit.server import ROOT
from tests.conftest import SECRET


def procura_env(database: str | Path, **extra: str) -> dict[str, str]:
    """The environment of a Procura process on PostgreSQL (a URL) or SQLite (a path)."""
    env = {**os.environ, "PROCURA_JWT_SECRET": SECRET, "PROCURA_DRAIN_SECONDS": "0", **extra}
    env.pop("DATABASE_URL", None)
    env.pop("PROCURA_SQLITE_PATH", None)
    if isinstance(database, Path):
        env["PROCURA_SQLITE_PATH"] = str(database)
    else:
        env["DATABASE_URL"] = database
    return env


def procura(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `procura ARGS` to completion."""
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def query(database: str | Path, sql: str, params: tuple = ()) -> list[tuple]:
    """The rows of one statement on either database."""
    if isinstance(database, Path):
        with contextlib.closing(sqlite3.connect(database)) as conn:
            return conn.execute(sql, params).fetchall()
    with psycopg.connect(database) as conn:
        return conn.execute(sql.replace("?", "%s"), params).fetchall()


def execute(database: str | Path, *statements: str) -> None:
    """Run statements in one committed transaction on either database."""
    if isinstance(database, Path):
        with contextlib.closing(sqlite3.connect(database)) as conn, conn:
            for statement in statements:
                conn.execute(statement)
        return
    with psycopg.connect(database) as conn:
        for statement in statements:
            conn.execute(statement)


def schema_text(database: str | Path) -> str:
    """Every table, column, index, type and function, as text that is equal
    for equal schemas (pg_dump on PostgreSQL, sqlite_master on SQLite)."""
    if isinstance(database, Path):
        with sqlite3.connect(database) as conn:
            rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
        return "\n".join(" | ".join(str(v) for v in row) for row in rows)
    dump = subprocess.run(["pg_dump", "--schema-only", "--no-owner", "--no-privileges", "-d", database],
                          capture_output=True, text=True, check=True).stdout
    # pg_dump 15.14+ brackets the dump with \restrict lines carrying a random key.
    return "\n".join(line for line in dump.splitlines()
                     if line.strip() and not line.startswith(("--", "\\restrict", "\\unrestrict")))


@pytest.fixture(params=["postgres", "sqlite"])
def new_database(request, tmp_path):
    """Makes empty databases of one kind per test run: PostgreSQL URLs (each
    dropped afterwards) or SQLite file paths."""
    with contextlib.ExitStack() as stack:
        count = itertools.count()

        def make() -> str | Path:
            if request.param == "sqlite":
                return tmp_path / f"procura-{next(count)}.sqlite3"
            return stack.enter_context(temporary_database())

        yield make


@pytest.fixture
def database(new_database) -> str | Path:
    """An empty database (see `new_database`)."""
    return new_database()
