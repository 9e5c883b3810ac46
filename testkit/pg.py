"""PostgreSQL for tests: each test that asks gets a fresh database, dropped
afterwards. Without a server the tests are skipped, except under CI=true,
where a missing PostgreSQL fails the run."""

from __future__ import annotations

import atexit
import os
import queue
import sys
import threading
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from app.config import Settings
from app.persistence.pooler import session_defaults

PG_ADMIN_URL = os.environ.get("PROCURA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin_connection():
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        message = f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {error}"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def give_session_defaults(conn: psycopg.Connection, database: str) -> None:
    """Make Procura's session defaults (`app.persistence.pooler.session_defaults`)
    `database`'s, as a deployment behind a transaction pooler must."""
    for name, value in session_defaults(Settings()).items():
        conn.execute(f"ALTER DATABASE \"{database}\" SET {name} = '{value}'")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


@contextmanager
def temporary_database():
    """Yield the URL of a new, empty database; drop it afterwards."""
    name = f"procura_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        # A test's database outlives no crash of the server: its commits need not
        # wait for the disk (a test that crashes PostgreSQL runs its own cluster).
        admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        yield with_database(PG_ADMIN_URL, name)
    finally:
        _dropper.drop(name)


class _Dropper:
    """Drops the tests' databases in a thread of its own, one after another.
    PostgreSQL checkpoints for every DROP DATABASE, a second or more of
    waiting on the disk that the test which made the database need not
    spend; `wait` (at the session's end, and at exit) lets none outlive the run."""

    def __init__(self):
        self._names: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def drop(self, name: str) -> None:
        self._names.put(name)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True, name="test-database-dropper")
                self._thread.start()

    def _run(self) -> None:
        while True:
            name = self._names.get()
            try:
                with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error as error:  # PostgreSQL gone: say which database is left behind
                print(f"testkit: could not drop the test database {name}: {error}", file=sys.stderr)
            finally:
                self._names.task_done()

    def wait(self) -> None:
        self._names.join()


_dropper = _Dropper()
atexit.register(_dropper.wait)


def pytest_sessionfinish(session, exitstatus):
    _dropper.wait()


@pytest.fixture
def pg_database_url():
    """A database of the test's own."""
    with temporary_database() as url:
        yield url


@pytest.fixture(scope="module")
def module_pg_database_url():
    """A database shared by one test module (for slow-to-build fixtures)."""
    with temporary_database() as url:
        yield url
