"""PostgreSQL for tests: each test that asks gets a fresh database, dropped
afterwards. Without a server the tests are skipped, except under CI=true,
where a missing PostgreSQL fails the run."""

from __future__ import annotations

import os
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
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
