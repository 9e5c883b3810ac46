"""Fixtures for recorder tests that speak eventsourcing's POSTGRES_* settings."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from app.config import postgres_env_from_url
from testkit.pg import temporary_database


@pytest.fixture(scope="session")
def postgres_database_url():
    """A database shared by the session's recorder tests."""
    with temporary_database() as url:
        yield url


@pytest.fixture(scope="session")
def postgres_database(postgres_database_url) -> str:
    """The name of that database."""
    return urlsplit(postgres_database_url).path.lstrip("/")


@pytest.fixture
def postgres_env(postgres_database_url) -> dict[str, str]:
    """eventsourcing settings for that database (a new dict each time)."""
    # Fail fast if the server goes away mid-test instead of waiting 30 s.
    return {**postgres_env_from_url(postgres_database_url), "POSTGRES_CONNECT_TIMEOUT": "5"}
