"""PostgreSQL recorder that writes command records atomically with events.

Use with ``PERSISTENCE_MODULE="app.persistence.postgres:ProcuraPostgresFactory"``.

Contracts (see ``app.persistence.command_records`` for the command-record contract):

* A save with events inserts the command record with the events, in the same
  transaction, with ``event_position = max(notification ids)``. A save without
  events inserts it alone with ``event_position = None``. Either way the whole
  transaction goes to the server in ONE round trip, so the events table's
  EXCLUSIVE lock is held only while the server runs it, never across a client
  round trip (nor while the client thread waits for the GIL): one event (a
  create, a command on one PO) is one call of a PL/pgSQL function taking the
  lock, inserting both and notifying; several events are one pipeline (BEGIN,
  lock, one statement inserting events and record and notifying, COMMIT) with
  one sync; a record without events is one INSERT. Saves without a command
  take the library's path unchanged.
* A duplicate (org, principal, key) raises ``CommandAlreadyRecorded`` and the
  whole transaction (events too) is rolled back.
* ``insert_events``, ``select_events``, ``select_notifications`` and
  ``max_notification_id`` do NOT retry (the library retries them 10 times,
  0.2 s apart): a database failure surfaces at once as eventsourcing's
  ``OperationalError`` / ``InterfaceError``. Note that getting a connection
  from the pool still waits up to ``POSTGRES_CONNECT_TIMEOUT`` seconds.
* ``POSTGRES_ENABLE_DB_FUNCTIONS`` inserts events through a database function
  that bypasses the hooks used here, so saving WITH a command then raises
  ``NotSupportedError`` (saves without a command still work).
"""

from __future__ import annotations

import contextlib
import select
import time
import weakref
from typing import TYPE_CHECKING, Any

import psycopg
import psycopg.errors
from eventsourcing import persistence as es
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder, PostgresFactory
from psycopg.rows import args_row, tuple_row
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app.config import PEER_TIMEOUTS
from app.jsonbytes import json_bytes
from app.persistence import postgres_sql as sql
from app.persistence.command_records import (
    CommandAlreadyRecorded,
    CommandRecord,
    CommandRecorder,
    command_from_kwargs,
    commands_table_name_for,
    require_aware,
)
from app.persistence.library_compat import (
    Checkout,
    insert_events_once,
    max_notification_id_once,
    select_events_once,
    select_notifications_once,
    set_checkout_check,
    set_connect_configure,
    snapshot_insert_once,
    snapshot_select_once,
    translated,
)
from app.persistence.positions import EventRow, PositionReader
from app.telemetry import tracing

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    from eventsourcing.persistence import Notification, StoredEvent
    from eventsourcing.postgres import PostgresDatastore
    from psycopg import Cursor
    from psycopg.rows import DictRow

# Sent as statements (not conn.transaction()) so that COMMIT joins the pipeline:
# psycopg's transaction block syncs before COMMIT, a round trip under the lock.
# Statements on the command path are bytes, rendered once: psycopg renders a
# Composed statement again on every execute (docs/developers/performance.md).
_BEGIN, _COMMIT = b"BEGIN", b"COMMIT"

def _command_values(command: CommandRecord) -> tuple[Any, ...]:
    """The record's columns but event_position: its table columns up to
    created_at, then po_id (the order of every insert statement's parameters)."""
    return (command.org, command.principal, command.key, command.fingerprint, command.status,
            Jsonb(command.headers, dumps=json_bytes), command.body, command.created_at, command.po_id)


class _Saving(Checkout):
    """A checkout for saving `command`: a duplicate key raised while it is in
    use becomes CommandAlreadyRecorded (checked before driver errors become
    the library's, where it would be a bare IntegrityError)."""

    __slots__ = ("recorder", "command")

    def __init__(self, recorder: ProcuraPostgresRecorder, command: CommandRecord):
        super().__init__(recorder.datastore)
        self.recorder = recorder
        self.command = command

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc is not None and self.recorder._is_duplicate_command(exc):
            self.pool.putconn(self.conn)
            command = self.command
            raise CommandAlreadyRecorded(command.org, command.principal, command.key) from None
        super().__exit__(exc_type, exc, tb)


class ProcuraPostgresRecorder(PostgresApplicationRecorder, CommandRecorder, PositionReader):
    """Application recorder with an atomic command-record table."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        commands_table_name: str | None = None,
    ):
        super().__init__(datastore, events_table_name=events_table_name)
        self.commands_table_name = commands_table_name or commands_table_name_for(events_table_name)
        self.check_identifier_length(self.commands_table_name)
        self.save_one_function_name = f"{self.events_table_name}_save_one_v3"
        self.check_identifier_length(self.save_one_function_name)
        tables = sql.Tables(self.datastore.schema, self.events_table_name, self.commands_table_name,
                            self.datastore.originator_id_type)
        self.sql_create_statements += [
            *sql.commands_table_ddl(tables, self._index_name("_created_at_idx"), self._index_name("_org_po_id_idx"),
                                  self._index_name("_org_key_idx")),
            sql.save_one_function_ddl(tables, self.save_one_function_name, self.channel_name,
                                      f"{self.datastore.lock_timeout}s"),
        ]
        self.tables = tables
        self.statements = sql.command_statements(tables)
        # The command transaction: the library's lock statements (see
        # PostgresApplicationRecorder._insert_stored_events), then events,
        # record and NOTIFY in ONE statement (each statement in a pipeline
        # costs the client as much as a small query; the library's way sends
        # seven), one statement text per number of events.
        self._lock_statements = [s.as_bytes() for s in self.lock_table_statements]
        self._events_and_command_parts = sql.events_and_command_parts(tables)
        self._events_and_command_statements: dict[int, bytes] = {}
        # One event with its record (a create, any command on one PO): one
        # call of the save-one function, on an autocommit connection one
        # transaction and one round trip, without a pipeline's client-side
        # cost (docs/developers/performance.md).
        self._save_one_statement = sql.save_one_call(tables, self.save_one_function_name)

    def _index_name(self, suffix: str) -> str:
        """An index of the commands table, its name cut to PostgreSQL's limit."""
        return self.commands_table_name[: self.MAX_IDENTIFIER_LEN - len(suffix)] + suffix

    # --- writing -----------------------------------------------------------

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events (and the optional command record) in one transaction.

        Raises CommandAlreadyRecorded on a duplicate key (nothing is kept);
        no retries.
        """
        command = command_from_kwargs(kwargs)
        if command is None:
            return insert_events_once(self, stored_events, **kwargs)
        if self.datastore.enable_db_functions:
            msg = "Command records need POSTGRES_ENABLE_DB_FUNCTIONS to be off"
            raise es.NotSupportedError(msg)
        try:
            return self._insert_with_command(stored_events, command)
        except psycopg.Error as error:
            # Raised outside the except block so the driver error is the cause.
            failure = translated(error)
        raise failure

    def _insert_with_command(
        self, stored_events: Sequence[StoredEvent], command: CommandRecord
    ) -> Sequence[int] | None:
        """One round trip (see the module doc); nothing of the save is kept
        on any error."""
        if not stored_events:
            self._insert_command(command)
            return None
        if len(stored_events) == 1:
            return [self._save_one(stored_events[0], command)]
        return self._save_in_pipeline(stored_events, command)

    def _saving(self, command: CommandRecord) -> _Saving:
        """A pooled connection for saving `command` (see `_Saving`)."""
        return _Saving(self, command)

    def _alone(self, command: CommandRecord, statement: bytes, params: Sequence[Any]) -> Any:
        """Run one statement saving `command`; the first row it returns, if
        any. The library's pooled connections are autocommit, so one
        statement is one transaction, without BEGIN and COMMIT round trips."""
        with self._saving(command) as conn:
            cursor = conn.execute(statement, params, prepare=True)
            return cursor.fetchone() if cursor.description else None

    def _insert_command(self, command: CommandRecord) -> None:
        """Insert a record without events (event_position NULL)."""
        self._alone(command, self.statements.insert_command, _command_values(command))

    def _save_one(self, event: StoredEvent, command: CommandRecord) -> int:
        """Save one event with its record through the save-one function."""
        params = (event.originator_id, event.originator_version, event.topic, event.state,
                  *_command_values(command))
        return self._alone(command, self._save_one_statement, params)["notification_id"]

    def _save_in_pipeline(self, stored_events: Sequence[StoredEvent], command: CommandRecord) -> list[int]:
        """BEGIN, lock, events and record, COMMIT as one pipeline, one sync.

        On any error the server has skipped the rest of the pipeline (COMMIT
        included); the transaction is rolled back before the connection goes
        back to the pool.
        """
        with self._saving(command) as conn:
            events_cursor = conn.cursor()
            try:
                with conn.pipeline() as pipeline:
                    curs = conn.cursor()
                    curs.execute(_BEGIN)
                    for statement in self._lock_statements:
                        curs.execute(statement, prepare=True)
                    self._insert_events_and_command(events_cursor, stored_events, command)
                    curs.execute(_COMMIT)
                    pipeline.sync()
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()  # no-op when the server already ended it
                raise
            return [row["notification_id"] for row in events_cursor.fetchall()]

    def _insert_events_and_command(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], command: CommandRecord
    ) -> None:
        """Queue the one statement inserting events and record, and notifying."""
        events = [v for e in stored_events for v in (e.originator_id, e.originator_version, e.topic, e.state)]
        curs.execute(
            self._events_and_command_statement(len(stored_events)),
            (*events, *_command_values(command), self.channel_name),
            prepare=True,
        )

    def _events_and_command_statement(self, count: int) -> bytes:
        statement = self._events_and_command_statements.get(count)
        if statement is None:
            head, row, tail = self._events_and_command_parts
            statement = self._events_and_command_statements[count] = head + b", ".join([row] * count) + tail
        return statement

    def _is_duplicate_command(self, error: BaseException) -> bool:
        return (
            isinstance(error, psycopg.errors.UniqueViolation)
            and error.diag.table_name == self.commands_table_name
        )

    # --- reading (no retries) ----------------------------------------------

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        return select_events_once(
            self, originator_id, gt=gt, lte=lte, desc=desc, limit=limit
        )

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        return select_notifications_once(
            self, start, limit, stop, topics, inclusive_of_start=inclusive_of_start
        )

    def max_notification_id(self) -> int | None:
        return max_notification_id_once(self)

    def select_after(self, after: int, limit: int, stop: int | None = None) -> list[EventRow]:
        # The library's select_notifications makes a dict per row, then a
        # frozen dataclass: a sixth of a read-model rebuild. Tuples instead.
        statement, params = self.statements.select_after, [after, stop, stop, limit]
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=args_row(EventRow)) as curs:
            curs.execute(statement, params, prepare=True)
            return curs.fetchall()

    def select_at(self, positions: Sequence[int]) -> list[EventRow]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=args_row(EventRow)) as curs:
            return curs.execute(sql.select_at(self.tables), [list(positions)]).fetchall()

    def select_command(self, org: str, principal: str, key: str) -> CommandRecord | None:
        # Prepared: every command looks its key up first (parsing and planning
        # it each time cost the server more than running it). Tuple rows: a
        # dict row describes every column of every result, found or not.
        with Checkout(self.datastore) as conn, conn.cursor(row_factory=tuple_row) as curs:
            row = curs.execute(self.statements.select_command, (org, principal, key), prepare=True).fetchone()
        return None if row is None else self._record(row)

    def select_commands(self, org: str, principal: str) -> list[CommandRecord]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self.statements.select_commands, (org, principal))
            rows = curs.fetchall()
        return [self._record(row) for row in rows]

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self.statements.positions_of, (originator_id,))
            return {version: position for version, position in curs.fetchall()}

    def select_commands_with_key(self, org: str, key: str) -> list[CommandRecord]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self.statements.select_commands_with_key, (org, key))
            rows = curs.fetchall()
        return [self._record(row) for row in rows]

    def select_commands_for_po(self, org: str, po_id: str) -> list[CommandRecord]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self.statements.select_commands_for_po, (org, po_id))
            rows = curs.fetchall()
        return [self._record(row) for row in rows]

    def select_refusals_for_po(self, org: str, po_id: str) -> list[CommandRecord]:
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(self.statements.select_refusals_for_po, (org, po_id))
            rows = curs.fetchall()
        return [self._record(row) for row in rows]

    @staticmethod
    def _record(row: tuple[Any, ...]) -> CommandRecord:
        """A record from a row of its columns in field order."""
        *leading, body, created_at, event_position, po_id = row
        return CommandRecord(*leading, bytes(body), created_at, event_position, po_id)

    def purge_commands(self, older_than: datetime) -> int:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.statements.purge_commands, (require_aware(older_than),))
            return curs.rowcount


class ProcuraSnapshotRecorder(PostgresAggregateRecorder):
    """The snapshot store's recorder, without the library's retries: reading a
    PO reads its snapshot first, and a lost database must answer 503 quickly."""

    def select_events(self, originator_id, *, gt=None, lte=None, desc=False, limit=None):
        return snapshot_select_once(self, originator_id, gt=gt, lte=lte, desc=desc, limit=limit)

    def insert_events(self, stored_events, **kwargs):
        return snapshot_insert_once(self, stored_events, **kwargs)


STATEMENT_TIMEOUT = "PROCURA_STATEMENT_TIMEOUT_MS"
#: "transaction": a transaction-pooling PgBouncer sits in front of PostgreSQL.
POOLER = "PROCURA_DB_POOLER"


def _autocommit(conn: Any) -> None:
    conn.autocommit = True


#: A pooled connection unused for longer than this is pinged before use.
PING_AFTER_IDLE_SECONDS = 1.0


def _input_waiting(conn: Any) -> bool:
    try:
        poller = select.poll()
        poller.register(conn.pgconn.socket, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, psycopg.OperationalError):  # no socket any more: certainly worth the ping
        return True


class PingWhenIdle:
    """The pool's checkout check: ping (one round trip) only connections that
    sat unused for PING_AFTER_IDLE_SECONDS, or that have input waiting.

    Pinging on every checkout (POSTGRES_PRE_PING) cost a round trip per
    checkout under load, where connections are seconds fresh. A connection
    that broke while busy fails its own request (a 503) and is discarded by
    the pool when returned in a BAD state; one that broke while idle (a
    restart, a failover at night) is caught here before any request uses it.
    An idle pooled connection is sent nothing, so input waiting on it means
    the server said goodbye (a restart's "terminating connection", or its
    socket closed): that one is pinged too, however fresh, at the cost of a
    poll(2) per checkout, and the pool replaces it.
    """

    def __init__(self) -> None:
        self._last_used: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()

    def __call__(self, conn: Any) -> None:
        now = time.monotonic()
        last = self._last_used.get(conn)
        if last is None or now - last > PING_AFTER_IDLE_SECONDS or _input_waiting(conn):
            ConnectionPool.check_connection(conn)  # raises on a dead connection: the pool replaces it
        self._last_used[conn] = now


class ProcuraPostgresFactory(PostgresFactory):
    """PostgresFactory whose application recorder is ProcuraPostgresRecorder.

    ``APPLICATION_RECORDER_TOPIC`` still takes precedence (library behaviour).
    With ``POSTGRES_PRE_PING`` a connection is pinged on checkout only after
    it sat idle (``PingWhenIdle``). With ``PROCURA_STATEMENT_TIMEOUT_MS`` every pooled connection gets that
    ``statement_timeout``, so a query stuck behind a lock fails instead of
    holding its request (and its pooled connection) forever. Every
    connection gives up on a server that stops answering at the TCP level
    (``PEER_TIMEOUTS``). With
    ``PROCURA_DB_POOLER=transaction`` connections keep no session state
    (``_behind_transaction_pooler``).
    """

    application_recorder_class = ProcuraPostgresRecorder
    aggregate_recorder_class = ProcuraSnapshotRecorder

    def __init__(self, env: Any):
        super().__init__(env)
        # The pool is not open yet: its connections will carry the options.
        self.datastore.pool.kwargs.update(PEER_TIMEOUTS)
        if self.datastore.pre_ping:
            set_checkout_check(self.datastore.pool, PingWhenIdle())
        tracing.trace_database_checkouts(self.datastore.pool)
        if self.env.get(POOLER) == "transaction":
            self._behind_transaction_pooler()
            return
        # procura.lock_timeout is read by the save function (schema step 0002).
        options = [f"-c procura.lock_timeout={self.datastore.lock_timeout}s"]
        timeout_ms = self.env.get(STATEMENT_TIMEOUT)
        if timeout_ms:
            options.append(f"-c statement_timeout={int(timeout_ms)}")
        self.datastore.pool.kwargs["options"] = " ".join(options)

    def _behind_transaction_pooler(self) -> None:
        """Keep no state outside a transaction: consecutive transactions of
        one pooled connection run on whichever server connection the pooler
        hands out.

        * No server-side prepared statements: with `prepare_threshold` None
          psycopg prepares nothing, `prepare=True` included.
        * No startup `options` (PgBouncer refuses the parameter, or drops it
          when told to ignore it): the timeouts they carry come from the
          role's defaults instead (docs/operators/connection-pooler.md).
        * No session-level SET on connect (the library's configure sets
          idle_in_transaction_session_timeout on whichever server connection
          it lands on, for every client of that connection after it).
        """
        self.datastore.pool.kwargs["prepare_threshold"] = None
        set_connect_configure(self.datastore.pool, _autocommit)

