"""Every use Procura makes of the eventsourcing library's (and psycopg-pool's)
internals, in one place.

Written against eventsourcing 9.5.6 and psycopg-pool 3.2 (setup.cfg pins
compatible ranges). What guards each piece when either library changes:
tests/integration/test_recorders_library_suite.py runs the library's own
recorder test cases against Procura's recorders (PostgreSQL, SQLite, in
memory), and tests/integration/test_command_records.py the command path; a
change in anything below fails them.

The SQLite and in-memory recorders (sqlite.py, memory.py) extend the
library's recorders through their documented subclass hooks
(`_assert_uniqueness`, `_update_table`, `_insert_events`); the same two test
modules guard those.
"""

from __future__ import annotations

import inspect
import time
from typing import TYPE_CHECKING, Any

import psycopg
from eventsourcing import persistence as es
from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import BaseAggregate
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventsourcing.persistence import Recording
    from eventsourcing.postgres import PostgresDatastore
    from psycopg import Connection
    from psycopg.rows import DictRow
    from psycopg_pool import ConnectionPool

# --- The PostgreSQL recorders' methods without their retries ---------------
# The library wraps these in @retry((InterfaceError, OperationalError), 10, 0.2):
# a lost database would hold a request for two seconds before its 503.
# functools.wraps exposes the undecorated function as __wrapped__; inspect.unwrap
# follows it (and is a no-op should a later release drop the decorator).
# select_events is defined on PostgresAggregateRecorder; attribute lookup on
# PostgresApplicationRecorder finds it there.
insert_events_once = inspect.unwrap(PostgresApplicationRecorder.insert_events)
select_events_once = inspect.unwrap(PostgresApplicationRecorder.select_events)
select_notifications_once = inspect.unwrap(PostgresApplicationRecorder.select_notifications)
max_notification_id_once = inspect.unwrap(PostgresApplicationRecorder.max_notification_id)
snapshot_select_once = inspect.unwrap(PostgresAggregateRecorder.select_events)
snapshot_insert_once = inspect.unwrap(PostgresAggregateRecorder.insert_events)

# --- PostgresDatastore.get_connection, re-implemented for the command path ---
# Same mapping, in the same order, as PostgresDatastore.get_connection().
ERROR_MAP: tuple[tuple[type[psycopg.Error], type[es.PersistenceError]], ...] = (
    (psycopg.InterfaceError, es.InterfaceError),
    (psycopg.OperationalError, es.OperationalError),
    (psycopg.DataError, es.DataError),
    (psycopg.IntegrityError, es.IntegrityError),
    (psycopg.InternalError, es.InternalError),
    (psycopg.ProgrammingError, es.ProgrammingError),
    (psycopg.NotSupportedError, es.NotSupportedError),
    (psycopg.DatabaseError, es.DatabaseError),
    (psycopg.Error, es.PersistenceError),
)


def translated(error: Exception) -> Exception:
    """Map a psycopg error to eventsourcing's equivalent (as get_connection does)."""
    for psycopg_cls, es_cls in ERROR_MAP:
        if isinstance(error, psycopg_cls):
            translated_error = es_cls(str(error))
            translated_error.__cause__ = error
            return translated_error
    return error


class Checkout:
    """`with Checkout(datastore) as conn`: a pooled connection, driver errors
    raised as the library's (as `PostgresDatastore.get_connection`).

    For the two statements of every command (key lookup, save). The library's
    `get_connection` also waits on the pool's fill state and nests two
    generator-based context managers on every call (docs/developers/performance.md).
    A pool not yet open is opened the library's way first.
    """

    __slots__ = ("datastore", "pool", "conn")

    def __init__(self, datastore: PostgresDatastore):
        self.datastore = datastore
        self.pool = datastore.pool

    def __enter__(self) -> Connection[DictRow]:
        if self.pool.closed:
            with self.datastore.get_connection():
                pass
        try:
            self.conn = self.pool.getconn()
        except psycopg.Error as error:
            failure = translated(error)
        else:
            return self.conn
        raise failure

    def __exit__(self, exc_type, exc, tb) -> None:
        # The pool rolls back a connection returned inside a transaction and
        # replaces a broken one.
        self.pool.putconn(self.conn)
        if exc is not None and isinstance(exc, psycopg.Error):
            raise translated(exc) from exc


# --- psycopg-pool's checkout check -------------------------------------------

def set_checkout_check(pool: ConnectionPool, check: Callable[[Any], None]) -> None:
    """Make `check` the pool's check of every connection it hands out, a
    failed check costing no wait. psycopg-pool has no public setter (its
    constructor's `check` argument is consumed by the library's datastore),
    so this writes `_check`.

    psycopg-pool sleeps after each connection that fails the check (1 s, 2 s,
    ...: its policy for a database that is down). After a database restart
    every idle connection fails it, so a request slept past its timeout (a
    503) while fresh connections were ready. A failed check means only that
    this connection is broken: it is dropped (the pool replaces it) and the
    next taken at once; with none left, getconn waits for a new one as
    usual, and times out if the database is down."""
    assert hasattr(pool, "_check") and hasattr(pool, "_getconn_with_check_loop"), \
        "psycopg-pool changed: revisit set_checkout_check"
    pool._check = check

    def getconn_checked(deadline: float) -> Any:
        while True:
            conn = pool._getconn_unchecked(deadline - time.monotonic())
            try:
                pool._check_connection(conn)
            except BaseException as error:
                pool._putconn(conn, from_getconn=True)
                if not isinstance(error, Exception):
                    raise  # cancellation, KeyboardInterrupt: no further try
                continue
            return conn

    pool._getconn_with_check_loop = getconn_checked


def set_connect_configure(pool: ConnectionPool, configure: Callable[[Any], None]) -> None:
    """Make `configure` what the pool runs on every new connection, instead of
    the library's datastore's (autocommit, then a session-level `SET
    idle_in_transaction_session_timeout`). No public setter either: writes
    `_configure`."""
    assert hasattr(pool, "_configure"), "psycopg-pool changed: revisit set_connect_configure"
    pool._configure = configure


# --- Application.save, without the protocol checks ----------------------------

class _AggregateEvents(ProcessingEvent):
    """Collects an aggregate's pending events without the library's protocol
    checks: `isinstance` against a runtime-checkable Protocol walks all its
    members, twice per aggregate (docs/developers/performance.md). Anything but an
    aggregate goes the library's way."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                self.events.extend(obj.collect_events())
                self.aggregates[obj.id] = obj
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


def save(app: Application, *objs: Any, **kwargs: Any) -> list[Recording]:
    """The library's `Application.save` (record, snapshot, notify), step for
    step through its private parts, collecting events through `_AggregateEvents`."""
    processing_event = _AggregateEvents()
    processing_event.collect_events(*objs, **kwargs)
    recordings = app._record(processing_event)
    app._take_snapshots(processing_event)
    app._notify(recordings)
    app.notify(processing_event.events)  # as the library's save does (deprecated hook)
    return recordings
