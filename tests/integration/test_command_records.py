"""Command records are written atomically with events, on every backend.

Each test runs against the in-memory, SQLite and PostgreSQL recorders through
a real ``Application`` configured by ``PERSISTENCE_MODULE``, as Procura is.
"""

from __future__ import annotations

import pickle
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from eventsourcing import persistence as es
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

from app.persistence.command_records import CommandAlreadyRecorded, CommandRecord, CommandRecorder
from app.persistence.postgres import ProcuraPostgresRecorder

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

FACTORIES = {
    "memory": "app.persistence.memory:ProcuraPOPOFactory",
    "sqlite": "app.persistence.sqlite:ProcuraSQLiteFactory",
    "postgres": "app.persistence.postgres:ProcuraPostgresFactory",
}
NOW = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


class Widget(Aggregate):
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Renamed")
    def rename(self, name: str) -> None:
        self.name = name


def record(
    key: str = "key-1",
    *,
    org: str = "org-1",
    principal: str = "alice",
    created_at: datetime = NOW,
    **changes: Any,
) -> CommandRecord:
    fields: dict[str, Any] = {
        "fingerprint": "sha256:abc",
        "status": 201,
        "headers": {"Location": "/purchase-orders/1", "ETag": '"1"'},
        "body": b'{"id": "1"}',
    }
    fields.update(changes)
    return CommandRecord(
        org=org, principal=principal, key=key, created_at=created_at, **fields
    )


def make_env(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    env = {"PERSISTENCE_MODULE": FACTORIES[backend]}
    if backend == "sqlite":
        env["SQLITE_DBNAME"] = str(tmp_path / "procura.db")
    elif backend == "postgres":
        env.update(request.getfixturevalue("postgres_env"))
    return env


@pytest.fixture(params=list(FACTORIES))
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Application]:
    # A new class (so a new name, so new PostgreSQL tables) per test.
    app_class = type(f"Widgets{uuid.uuid4().hex[:10]}", (Application,), {})
    application = app_class(env=make_env(backend, request, tmp_path))
    yield application
    application.close()


def recorder_of(app: Application) -> Any:
    assert isinstance(app.recorder, CommandRecorder)
    return app.recorder


def all_notification_ids(app: Application) -> list[int]:
    return [n.id for n in app.recorder.select_notifications(start=None, limit=1000)]


# --- Writing with and without events --------------------------------------------


def test_record_with_events_gets_the_highest_notification_id(app: Application) -> None:
    recorder = recorder_of(app)
    app.save(Widget("earlier"))  # So positions don't start at 1.
    widget = Widget("a")
    widget.rename("b")

    recordings = app.save(widget, command=record())

    positions = [r.notification.id for r in recordings]
    assert len(positions) == 2
    stored = recorder.select_command("org-1", "alice", "key-1")
    assert stored == record().with_position(max(positions))
    assert stored.event_position == recorder.max_notification_id() == 3
    assert stored.created_at.tzinfo == UTC


def test_record_without_events_has_no_position(app: Application) -> None:
    recorder = recorder_of(app)

    assert app.save(command=record(status=409)) == []

    assert recorder.select_command("org-1", "alice", "key-1") == record(status=409)
    assert recorder.max_notification_id() is None


def test_caller_supplied_position_is_ignored(app: Application) -> None:
    app.save(Widget("a"), command=record("k1", event_position=999))
    app.save(command=record("k2", event_position=999))

    assert recorder_of(app).select_command("org-1", "alice", "k1").event_position == 1
    assert recorder_of(app).select_command("org-1", "alice", "k2").event_position is None


def test_save_without_command_behaves_like_the_library(app: Application) -> None:
    recordings = app.save(Widget("a"), command=None)
    assert [r.notification.id for r in recordings] == [1]
    assert app.save() == []
    assert recorder_of(app).select_command("org-1", "alice", "key-1") is None


def test_a_command_that_is_not_a_command_record_is_rejected(app: Application) -> None:
    with pytest.raises(TypeError):
        app.save(Widget("a"), command={"key": "k"})
    assert app.recorder.max_notification_id() is None


# --- Duplicates -------------------------------------------------------------------


@pytest.mark.parametrize("second_save_has_events", [True, False])
@pytest.mark.parametrize("first_save_has_events", [True, False])
def test_duplicate_key_raises_and_writes_nothing(
    app: Application, *, first_save_has_events: bool, second_save_has_events: bool
) -> None:
    recorder = recorder_of(app)
    first = [Widget("first")] if first_save_has_events else []
    app.save(*first, command=record())
    before = all_notification_ids(app)

    second = Widget("second")
    with pytest.raises(CommandAlreadyRecorded) as raised:
        if second_save_has_events:
            app.save(second, command=record(status=500, body=b"other"))
        else:
            app.save(command=record(status=500, body=b"other"))

    assert isinstance(raised.value, es.IntegrityError)
    assert (raised.value.org, raised.value.principal, raised.value.key) == (
        "org-1",
        "alice",
        "key-1",
    )
    assert all_notification_ids(app) == before
    assert recorder.select_events(second.id) == []
    expected_position = 1 if first_save_has_events else None
    assert recorder.select_command("org-1", "alice", "key-1") == record().with_position(
        expected_position
    )


def test_same_key_for_another_principal_or_org_is_independent(app: Application) -> None:
    recorder = recorder_of(app)
    app.save(Widget("a"), command=record(org="org-1", principal="alice"))
    app.save(Widget("b"), command=record(org="org-1", principal="bob"))
    app.save(command=record(org="org-2", principal="alice", status=403))

    assert recorder.select_command("org-1", "alice", "key-1").event_position == 1
    assert recorder.select_command("org-1", "bob", "key-1").event_position == 2
    assert recorder.select_command("org-2", "alice", "key-1").status == 403
    assert recorder.select_command("org-2", "bob", "key-1") is None
    assert recorder.select_command("org-1", "alice", "key-2") is None


def test_records_with_one_key_are_found_across_principals_of_one_org_only(app: Application) -> None:
    recorder = recorder_of(app)
    app.save(Widget("a"), command=record("shared", principal="bob", created_at=NOW + timedelta(seconds=1)))
    app.save(command=record("shared", principal="alice", status=409))
    app.save(command=record("shared", org="org-2", principal="alice"))
    app.save(command=record("other", principal="alice"))

    found = recorder.select_commands_with_key("org-1", "shared")

    assert [(r.principal, r.status) for r in found] == [("alice", 409), ("bob", 201)]  # oldest first
    assert recorder.select_commands_with_key("org-3", "shared") == []


@pytest.mark.parametrize("events", [0, 1, 2])
def test_a_record_naming_a_po_is_found_by_that_po_within_its_org(app: Application, events: int) -> None:
    recorder = recorder_of(app)
    widget = Widget("a")
    for n in range(events - 1):
        widget.rename(f"b{n}")
    app.save(*([widget] if events else []), command=record("k1", po_id="po-1", status=409 if not events else 200))
    app.save(command=record("k2", principal="bob", po_id="po-1", created_at=NOW + timedelta(seconds=1)))
    app.save(command=record("k3", po_id="po-2"))
    app.save(command=record("k4", org="org-2", po_id="po-1"))
    app.save(command=record("k5"))

    found = recorder.select_commands_for_po("org-1", "po-1")

    assert [(r.key, r.po_id) for r in found] == [("k1", "po-1"), ("k2", "po-1")]
    assert found[0].event_position == (events or None)
    assert recorder.select_command("org-1", "alice", "k5").po_id is None


def test_a_pos_refusals_are_found_without_its_accepted_records(app: Application) -> None:
    recorder = recorder_of(app)
    app.save(command=record("k1", po_id="po-1", status=200))
    app.save(command=record("k2", po_id="po-1", status=409, created_at=NOW + timedelta(seconds=2)))
    app.save(command=record("k3", principal="bob", po_id="po-1", status=403, created_at=NOW + timedelta(seconds=1)))
    app.save(command=record("k4", org="org-2", po_id="po-1", status=409))
    app.save(command=record("k5", po_id="po-2", status=409))

    found = recorder.select_refusals_for_po("org-1", "po-1")

    assert [(r.key, r.status) for r in found] == [("k3", 403), ("k2", 409)]  # oldest first


# --- A failing command insert leaves no events ------------------------------------


@pytest.mark.parametrize("with_events", [True, False])
def test_failing_command_insert_leaves_nothing(
    app: Application, monkeypatch: pytest.MonkeyPatch, *, with_events: bool
) -> None:
    """A crash between the events and the command record is impossible."""
    recorder = recorder_of(app)
    app.save(Widget("before"))

    def boom(*_: Any, **__: Any) -> None:
        msg = "command insert failed"
        raise RuntimeError(msg)

    # PostgreSQL writes events and record in one statement (one event: in a
    # function; several: in the pipeline patched here); a failure inside it
    # is the server's (see the next test). Elsewhere the record goes in last.
    one_statement = isinstance(recorder, ProcuraPostgresRecorder) and with_events
    monkeypatch.setattr(recorder, "_insert_events_and_command" if one_statement else "_insert_command", boom)
    widget, other = Widget("a"), Widget("b")
    with pytest.raises(RuntimeError, match="command insert failed"):
        app.save(*([widget, other] if with_events else []), command=record())

    monkeypatch.undo()
    assert all_notification_ids(app) == [1]
    assert recorder.select_events(widget.id) == recorder.select_events(other.id) == []
    assert recorder.select_command("org-1", "alice", "key-1") is None
    # The recorder is still usable, and the key is still free. (A new
    # aggregate: the failed save already collected the first one's events.
    # Positions may have a gap: a PostgreSQL sequence doesn't roll back.)
    app.save(Widget("again"), command=record())
    position = recorder.select_command("org-1", "alice", "key-1").event_position
    assert position == recorder.max_notification_id() > 1


@pytest.mark.parametrize("with_events", [True, False])
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])  # POPO stores anything.
def test_command_rejected_by_the_database_leaves_nothing(
    app: Application, *, with_events: bool
) -> None:
    # PostgreSQL: "integer out of range" (server side). SQLite: OverflowError
    # binding the parameter (client side). Either happens after the events.
    widget = Widget("a")
    with pytest.raises((es.PersistenceError, OverflowError)):
        app.save(*([widget] if with_events else []), command=record(status=2**70))

    assert app.recorder.max_notification_id() is None
    assert recorder_of(app).select_command("org-1", "alice", "key-1") is None


@pytest.mark.parametrize("events", [0, 1, 2])
@pytest.mark.parametrize("backend", ["postgres"])
def test_postgres_client_side_error_after_events_rolls_back(app: Application, events: int) -> None:
    # psycopg refuses NUL in text before sending anything. Alone (0 or 1
    # event) the statement is never sent; in a pipeline (2 events) BEGIN and
    # the lock may be queued on a healthy transaction: only the recorder's
    # explicit rollback keeps the events from being committed.
    with pytest.raises(es.DataError, match="NUL"):
        app.save(*[Widget(f"w{n}") for n in range(events)], command=record(org="org\x00"))
    assert app.recorder.max_notification_id() is None


# --- Purging ------------------------------------------------------------------------


def test_purge_deletes_only_records_created_before_the_cutoff(app: Application) -> None:
    recorder = recorder_of(app)
    plus_two = timezone(timedelta(hours=2))
    app.save(command=record("old", created_at=NOW - timedelta(days=3)))
    # 13:00+02:00 is 11:00Z: older than the 11:30Z cutoff despite its wall clock.
    app.save(command=record("old-other-zone", created_at=NOW.replace(hour=13, tzinfo=plus_two)))
    # Whole seconds: guards against isoformat() dropping ".000000" in text storage.
    app.save(command=record("at-cutoff", created_at=NOW.replace(hour=11, minute=30, microsecond=0)))
    app.save(Widget("a"), command=record("new", created_at=NOW))

    cutoff = NOW.replace(hour=11, minute=30, microsecond=0)
    assert recorder.purge_commands(cutoff) == 2
    assert recorder.purge_commands(cutoff) == 0

    assert recorder.select_command("org-1", "alice", "old") is None
    assert recorder.select_command("org-1", "alice", "old-other-zone") is None
    assert recorder.select_command("org-1", "alice", "at-cutoff") is not None
    assert recorder.select_command("org-1", "alice", "new").event_position == 1
    # Purging records never touches events.
    assert all_notification_ids(app) == [1]


def test_purge_rejects_naive_datetimes(app: Application) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        recorder_of(app).purge_commands(datetime(2025, 1, 1))


# --- Racing duplicates ----------------------------------------------------------------


@pytest.mark.parametrize("with_events", [True, False])
def test_racing_saves_with_the_same_key_have_one_winner(
    app: Application, *, with_events: bool
) -> None:
    threads_count = 12
    barrier = threading.Barrier(threads_count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def save() -> None:
        widget = Widget("racer")  # Each thread has its own aggregate.
        barrier.wait()
        try:
            app.save(*([widget] if with_events else []), command=record())
            outcome = "saved"
        except CommandAlreadyRecorded:
            outcome = "duplicate"
        except Exception as e:  # Any other outcome fails the assertion below.
            outcome = repr(e)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=save) for _ in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes) == ["duplicate"] * (threads_count - 1) + ["saved"]
    expected_ids = [1] if with_events else []
    assert all_notification_ids(app) == expected_ids
    stored = recorder_of(app).select_command("org-1", "alice", "key-1")
    assert stored.event_position == (1 if with_events else None)


# --- PostgreSQL specifics -------------------------------------------------------------


def datastore_for(env: dict[str, str], **options: Any) -> PostgresDatastore:
    """A datastore on the test database described by POSTGRES_* `env`."""
    return PostgresDatastore(env["POSTGRES_DBNAME"], env["POSTGRES_HOST"], env["POSTGRES_PORT"],
                             env["POSTGRES_USER"], env["POSTGRES_PASSWORD"], **options)


@pytest.fixture
def pg_datastore(postgres_env: dict[str, str]) -> Iterator[PostgresDatastore]:
    datastore = datastore_for(postgres_env)
    yield datastore
    datastore.close()


@pytest.fixture
def pg_recorder(pg_datastore: PostgresDatastore) -> ProcuraPostgresRecorder:
    recorder = ProcuraPostgresRecorder(
        pg_datastore, events_table_name=f"r{uuid.uuid4().hex[:12]}_events"
    )
    recorder.create_table()
    return recorder


def stored_event() -> es.StoredEvent:
    return es.StoredEvent(originator_id=uuid.uuid4(), originator_version=1, topic="t", state=b"{}")


def test_postgres_commands_table_name_follows_events_table(
    pg_recorder: ProcuraPostgresRecorder,
) -> None:
    assert pg_recorder.commands_table_name == pg_recorder.events_table_name.replace(
        "_events", "_commands"
    )


@pytest.mark.parametrize(
    "name", ["insert_events", "select_events", "select_notifications", "max_notification_id"]
)
def test_library_retries_what_the_procura_recorder_does_not(name: str) -> None:
    # The overrides call __wrapped__: if the library stops decorating these,
    # revisit ProcuraPostgresRecorder.
    assert hasattr(getattr(PostgresApplicationRecorder, name), "__wrapped__")
    assert not hasattr(getattr(ProcuraPostgresRecorder, name), "__wrapped__")


@pytest.mark.parametrize(
    "call",
    [
        lambda r: r.insert_events([stored_event()]),
        lambda r: r.insert_events([], command=record()),
        lambda r: r.insert_events([stored_event()], command=record()),
        lambda r: r.select_events(uuid.uuid4()),
        lambda r: r.select_notifications(start=None, limit=10),
        lambda r: r.max_notification_id(),
        lambda r: r.select_after(0, 10),
        lambda r: r.select_command("org-1", "alice", "key-1"),
        lambda r: r.purge_commands(NOW),
    ],
    ids=[
        "insert_events",
        "insert_refusal",
        "insert_with_command",
        "select_events",
        "select_notifications",
        "max_notification_id",
        "select_after",
        "select_command",
        "purge_commands",
    ],
)
def test_postgres_failures_surface_at_once(
    pg_recorder: ProcuraPostgresRecorder, monkeypatch: pytest.MonkeyPatch, call: Any
) -> None:
    attempts = []

    def unreachable(*_: Any, **__: Any) -> Any:
        attempts.append(1)
        msg = "connection refused"
        raise psycopg.OperationalError(msg)

    # The pool is where every path gets its connection (the command path
    # checks one out directly, the library's paths through get_connection).
    monkeypatch.setattr(pg_recorder.datastore.pool, "getconn", unreachable)
    started = time.monotonic()
    with pytest.raises(es.OperationalError):
        call(pg_recorder)
    assert len(attempts) == 1
    assert time.monotonic() - started < 0.5  # The library would sleep ~1.8 s.


def test_postgres_server_gone_fails_within_the_connect_timeout(
    pg_recorder: ProcuraPostgresRecorder, postgres_env: dict[str, str]
) -> None:
    # Nothing listens on port 1: connecting is refused, the pool gives up after
    # connect_timeout (1 s). With the library's retries this takes over 10 s.
    dead = datastore_for({**postgres_env, "POSTGRES_PORT": "1"}, connect_timeout=1)
    # Reuse the composite type learned from the live server.
    dead.psycopg_python_types = pg_recorder.datastore.psycopg_python_types
    pg_recorder.datastore = dead
    try:
        started = time.monotonic()
        with pytest.raises(es.OperationalError):
            pg_recorder.insert_events([stored_event()], command=record())
        with pytest.raises(es.OperationalError):
            pg_recorder.max_notification_id()
        assert time.monotonic() - started < 5
    finally:
        dead.close()


@pytest.mark.parametrize(("step", "events"), [("_save_one", 1), ("_insert_events_and_command", 2)])
def test_postgres_driver_errors_after_the_events_are_translated(
    pg_recorder: ProcuraPostgresRecorder, monkeypatch: pytest.MonkeyPatch, step: str, events: int
) -> None:
    def lost_connection(*_: Any, **__: Any) -> None:
        msg = "server closed the connection unexpectedly"
        raise psycopg.OperationalError(msg)

    monkeypatch.setattr(pg_recorder, step, lost_connection)
    with pytest.raises(es.OperationalError, match="server closed") as raised:
        pg_recorder.insert_events([stored_event() for _ in range(events)], command=record())
    assert isinstance(raised.value.__cause__, psycopg.OperationalError)
    monkeypatch.undo()
    assert pg_recorder.max_notification_id() is None


def _connect(env: dict[str, str]) -> psycopg.Connection[Any]:
    """An autocommit connection of its own to the database in `env`."""
    return psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
                           user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"], autocommit=True)


def test_postgres_a_refused_one_event_save_gives_its_connection_back_idle(
    postgres_env: dict[str, str],
) -> None:
    datastore = datastore_for(postgres_env, pool_size=1, max_overflow=0)
    try:
        recorder = ProcuraPostgresRecorder(datastore, events_table_name=f"a{uuid.uuid4().hex[:12]}_events")
        recorder.create_table()
        recorder.insert_events([stored_event()], command=record())
        with pytest.raises(CommandAlreadyRecorded):
            recorder.insert_events([stored_event()], command=record())
        with datastore.get_connection() as conn:
            assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
            assert conn.autocommit  # as the library's pool hands them out
    finally:
        datastore.close()


@pytest.mark.parametrize("pre_ping", [True, False])
def test_postgres_connections_closed_by_the_server(
    postgres_env: dict[str, str], *, pre_ping: bool
) -> None:
    """Without retries, stale pooled connections need POSTGRES_PRE_PING.

    After a server restart (or a failover), the pool still holds dead
    connections. The library's retries used to paper over that; here
    pre-ping replaces them on checkout, and without it the first call fails.
    """
    datastore = datastore_for(postgres_env, pool_size=1, max_overflow=0, pre_ping=pre_ping)
    try:
        recorder = ProcuraPostgresRecorder(
            datastore, events_table_name=f"p{uuid.uuid4().hex[:12]}_events"
        )
        recorder.create_table()
        assert recorder.max_notification_id() is None
        with _connect(postgres_env) as admin:
            others = "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity {others}")
            # Termination is asynchronous: wait until the backends are gone.
            deadline = time.monotonic() + 5
            while admin.execute(f"SELECT count(*) FROM pg_stat_activity {others}").fetchone()[0]:
                assert time.monotonic() < deadline
                time.sleep(0.01)
        if pre_ping:
            assert recorder.max_notification_id() is None
        else:
            with pytest.raises(es.OperationalError):
                recorder.max_notification_id()
            # The broken connection was discarded; the next call reconnects.
            assert recorder.max_notification_id() is None
    finally:
        datastore.close()


def test_postgres_db_functions_cannot_record_commands(
    postgres_env: dict[str, str],
) -> None:
    datastore = datastore_for(postgres_env, enable_db_functions=True)
    try:
        recorder = ProcuraPostgresRecorder(
            datastore, events_table_name=f"f{uuid.uuid4().hex[:12]}_events"
        )
        recorder.create_table()
        with pytest.raises(es.NotSupportedError):
            recorder.insert_events([stored_event()], command=record())
        assert recorder.max_notification_id() is None
        # Without a command the library's db-function path still works.
        assert recorder.insert_events([stored_event()]) == [1]
    finally:
        datastore.close()


# --- The value types --------------------------------------------------------------------


def test_command_record_requires_an_aware_created_at() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        record(created_at=datetime(2025, 1, 1))


def test_command_record_normalises_to_utc_and_copies_headers() -> None:
    headers = {"A": "1"}
    rec = record(headers=headers, created_at=NOW.astimezone(timezone(timedelta(hours=-5))))
    headers["A"] = "changed"
    assert rec.headers == {"A": "1"}
    assert rec.created_at == NOW
    assert rec.created_at.tzinfo == UTC


def test_command_already_recorded_pickles() -> None:
    error = pickle.loads(pickle.dumps(CommandAlreadyRecorded("o", "p", "k")))
    assert (error.org, error.principal, error.key) == ("o", "p", "k")
    assert "'k'" in str(error)


def test_postgres_saving_events_with_a_command_notifies_the_events_channel(
    pg_recorder: ProcuraPostgresRecorder, postgres_env: dict[str, str]
) -> None:
    with _connect(postgres_env) as listener:
        listener.execute(f'LISTEN "{pg_recorder.channel_name}"')
        pg_recorder.insert_events([stored_event(), stored_event()], command=record())
        heard = list(listener.notifies(timeout=5, stop_after=1))
    assert [n.channel for n in heard] == [pg_recorder.channel_name]


def test_postgres_events_saved_with_a_command_get_increasing_positions_in_input_order(
    pg_recorder: ProcuraPostgresRecorder,
) -> None:
    events = [stored_event() for _ in range(5)]
    positions = pg_recorder.insert_events(events, command=record())
    stored = pg_recorder.select_notifications(start=None, limit=10)
    assert positions == sorted(positions) == [n.id for n in stored]
    assert [n.originator_id for n in stored] == [e.originator_id for e in events]
    assert pg_recorder.select_command("org-1", "alice", "key-1").event_position == positions[-1]
