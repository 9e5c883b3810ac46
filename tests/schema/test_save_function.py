"""The save function of schema step 0002 waits for the event store's lock as
long as PROCURA_DB_TIMEOUT says, through the session's procura.lock_timeout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
import psycopg.errors
import pytest

from app.bootstrap import build_services
from app.config import Settings
from tests.conftest import SECRET

pytestmark = pytest.mark.postgres

SAVE = ("SELECT procura_events_save_one_v2(%s, 1, 'topic', '\\x00', 'org', 'who', %s, 'f', 201, '{}', "
        "'\\x00', %s)")


@pytest.fixture
def migrated(pg_database_url):
    services = build_services(Settings(database_url=pg_database_url, jwt_secret=SECRET, db_timeout_seconds=7))
    yield pg_database_url, services
    services.close()


def test_pooled_connections_carry_the_configured_lock_timeout(migrated):
    _url, services = migrated

    with services.event_store.recorder.datastore.get_connection() as conn:
        setting = conn.execute("SELECT current_setting('procura.lock_timeout')").fetchone()

    assert list(setting.values()) == ["7s"]


def test_the_save_function_gives_up_on_the_lock_after_the_session_lock_timeout(migrated):
    url, _services = migrated
    with psycopg.connect(url) as holder, psycopg.connect(url, autocommit=True) as saver:
        holder.execute("LOCK TABLE procura_events IN EXCLUSIVE MODE")
        # Were the session's setting ignored (3 s), the statement timeout would end the wait first.
        saver.execute("SET procura.lock_timeout = '100ms'")
        saver.execute("SET statement_timeout = '2s'")

        with pytest.raises(psycopg.errors.LockNotAvailable):
            saver.execute(SAVE, (uuid.uuid4(), str(uuid.uuid4()), datetime.now(UTC)))
