"""PostgreSQL recorder that writes command records atomically with events.

Use with ``PERSISTENCE_MODULE="app.persistence.postgres:ProcuraPostgresFactory"``.

Contracts (see ``app.persistence.commands`` for the command-record contract):

* A save with events inserts the command record after the events, inside the
  library's insert transaction, with ``event_position = max(notification ids)``.
  A save without events inserts it in the same kind of transaction with
  ``event_position = None``.
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

import inspect
from typing import TYPE_CHECKING, Any

import psycopg
from eventsourcing import persistence as es
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresApplicationRecorder, PostgresFactory
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb

from app.persistence.commands import (
    CommandAlreadyRecorded,
    CommandRecord,
    CommandRecorder,
    command_from_kwargs,
    commands_table_name_for,
    require_aware,
)

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    from eventsourcing.persistence import Notification, StoredEvent
    from eventsourcing.postgres import PostgresDatastore
    from psycopg import Cursor
    from psycopg.rows import DictRow

# The library wraps these in @retry((InterfaceError, OperationalError), 10, 0.2).
# functools.wraps exposes the undecorated function as __wrapped__; inspect.unwrap
# follows it (and is a no-op should a later release drop the decorator).
# select_events is defined on PostgresAggregateRecorder; attribute lookup on
# PostgresApplicationRecorder finds it there.
_insert_events_once = inspect.unwrap(PostgresApplicationRecorder.insert_events)
_select_events_once = inspect.unwrap(PostgresApplicationRecorder.select_events)
_select_notifications_once = inspect.unwrap(
    PostgresApplicationRecorder.select_notifications
)
_max_notification_id_once = inspect.unwrap(PostgresApplicationRecorder.max_notification_id)

# Same mapping, in the same order, as PostgresDatastore.get_connection().
_ERROR_MAP: tuple[tuple[type[psycopg.Error], type[es.PersistenceError]], ...] = (
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


class _AbortTransaction(BaseException):
    """Carries an error out of the library's post-insert step.

    PostgresApplicationRecorder.insert_events() runs the events INSERT and
    _fetch_ids_after_insert_events() inside ``try: ... except Exception as e:
    exc = e`` *within* ``conn.transaction()``, and re-raises only after the
    transaction block has exited normally, i.e. after COMMIT. An ordinary
    exception raised there would therefore commit the events without the
    command record. A BaseException passes that ``except Exception``, so the
    transaction block sees it and rolls back; insert_events() below unwraps it.
    """

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


def _translated(error: Exception) -> Exception:
    """Map a psycopg error to eventsourcing's equivalent (as get_connection does)."""
    for psycopg_cls, es_cls in _ERROR_MAP:
        if isinstance(error, psycopg_cls):
            translated = es_cls(str(error))
            translated.__cause__ = error
            return translated
    return error


class ProcuraPostgresRecorder(PostgresApplicationRecorder, CommandRecorder):
    """Application recorder with an atomic command-record table."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        commands_table_name: str | None = None,
    ):
        super().__init__(datastore, events_table_name=events_table_name)
        self.commands_table_name = commands_table_name or commands_table_name_for(
            events_table_name
        )
        self.check_identifier_length(self.commands_table_name)
        suffix = "_created_at_idx"
        index_name = self.commands_table_name[: self.MAX_IDENTIFIER_LEN - len(suffix)]
        schema = Identifier(self.datastore.schema)
        table = Identifier(self.commands_table_name)
        events = Identifier(self.events_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "org text NOT NULL, "
                "principal text NOT NULL, "
                "key text NOT NULL, "
                "fingerprint text NOT NULL, "
                "status integer NOT NULL, "
                "headers jsonb NOT NULL, "
                "body bytea NOT NULL, "
                "created_at timestamptz NOT NULL, "
                "event_position bigint NULL, "
                "PRIMARY KEY (org, principal, key))"
            ).format(schema=schema, table=table)
        )
        self.sql_create_statements.append(
            SQL("CREATE INDEX IF NOT EXISTS {index} ON {schema}.{table} (created_at)").format(
                index=Identifier(index_name + suffix), schema=schema, table=table
            )
        )
        # RETURNING + fetch: a conflict shows up as "no row", inside the transaction.
        self.insert_command_statement = SQL(
            "INSERT INTO {schema}.{table} (org, principal, key, fingerprint, status, "
            "headers, body, created_at, event_position) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (org, principal, key) DO NOTHING RETURNING org"
        ).format(schema=schema, table=table)
        self.select_command_statement = SQL(
            "SELECT * FROM {schema}.{table} WHERE org = %s AND principal = %s AND key = %s"
        ).format(schema=schema, table=table)
        self.select_commands_statement = SQL(
            "SELECT * FROM {schema}.{table} WHERE org = %s AND principal = %s ORDER BY created_at"
        ).format(schema=schema, table=table)
        self.purge_commands_statement = SQL(
            "DELETE FROM {schema}.{table} WHERE created_at < %s"
        ).format(schema=schema, table=table)
        self.notification_id_of_statement = SQL(
            "SELECT notification_id FROM {schema}.{events} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema=schema, events=events)

    # --- writing -----------------------------------------------------------

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Insert events (and the optional command record) in one transaction.

        Raises CommandAlreadyRecorded on a duplicate key; no retries.
        """
        command = command_from_kwargs(kwargs)
        if command is not None and self.datastore.enable_db_functions:
            msg = "Command records need POSTGRES_ENABLE_DB_FUNCTIONS to be off"
            raise es.NotSupportedError(msg)
        try:
            return _insert_events_once(self, stored_events, **kwargs)
        except _AbortTransaction as abort:
            error = abort.error
        # Raised outside the except block so the carrier isn't chained in.
        raise _translated(error)

    def _insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> None:
        # Called inside the transaction before any event is inserted, and
        # outside the library's exception-swallowing block, so raising here
        # rolls back. Only saves WITHOUT events record their command here.
        super()._insert_events(curs, stored_events, **kwargs)
        command = command_from_kwargs(kwargs)
        if command is not None and not stored_events:
            self._insert_command(curs, command.with_position(None))

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        command = command_from_kwargs(kwargs)
        if command is None:
            return super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        # Everything from here on must roll back on failure (see _AbortTransaction).
        try:
            notification_ids = super()._fetch_ids_after_insert_events(
                curs, stored_events, **kwargs
            )
            position = max(notification_ids) if notification_ids else None
            self._insert_command(curs, command.with_position(position))
        except Exception as e:
            raise _AbortTransaction(e) from e
        return notification_ids

    def _insert_command(self, curs: Cursor[DictRow], command: CommandRecord) -> None:
        """Insert one record; raise CommandAlreadyRecorded if the key exists."""
        curs.execute(
            self.insert_command_statement,
            (
                command.org,
                command.principal,
                command.key,
                command.fingerprint,
                command.status,
                Jsonb(command.headers),
                command.body,
                command.created_at,
                command.event_position,
            ),
        )
        # In pipeline mode fetching forces a sync, so the outcome is known now.
        if curs.fetchone() is None:
            raise CommandAlreadyRecorded(command.org, command.principal, command.key)

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
        return _select_events_once(
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
        return _select_notifications_once(
            self, start, limit, stop, topics, inclusive_of_start=inclusive_of_start
        )

    def max_notification_id(self) -> int | None:
        return _max_notification_id_once(self)

    def select_command(self, org: str, principal: str, key: str) -> CommandRecord | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_command_statement, (org, principal, key))
            row = curs.fetchone()
        return None if row is None else self._record(row)

    def select_commands(self, org: str, principal: str) -> list[CommandRecord]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.select_commands_statement, (org, principal))
            rows = curs.fetchall()
        return [self._record(row) for row in rows]

    @staticmethod
    def _record(row: DictRow) -> CommandRecord:
        return CommandRecord(
            org=row["org"],
            principal=row["principal"],
            key=row["key"],
            fingerprint=row["fingerprint"],
            status=row["status"],
            headers=row["headers"],
            body=bytes(row["body"]),
            created_at=row["created_at"],
            event_position=row["event_position"],
        )

    def purge_commands(self, older_than: datetime) -> int:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(self.purge_commands_statement, (require_aware(older_than),))
            return curs.rowcount

    def notification_id_of(self, originator_id: UUID | str, version: int) -> int | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self.notification_id_of_statement, (originator_id, version))
            row = curs.fetchone()
        return None if row is None else row["notification_id"]


_snapshot_select_once = inspect.unwrap(PostgresAggregateRecorder.select_events)
_snapshot_insert_once = inspect.unwrap(PostgresAggregateRecorder.insert_events)


class ProcuraSnapshotRecorder(PostgresAggregateRecorder):
    """The snapshot store's recorder, without the library's retries: reading a
    PO reads its snapshot first, and a lost database must answer 503 quickly."""

    def select_events(self, originator_id, *, gt=None, lte=None, desc=False, limit=None):
        return _snapshot_select_once(self, originator_id, gt=gt, lte=lte, desc=desc, limit=limit)

    def insert_events(self, stored_events, **kwargs):
        return _snapshot_insert_once(self, stored_events, **kwargs)


STATEMENT_TIMEOUT = "PROCURA_STATEMENT_TIMEOUT_MS"


class ProcuraPostgresFactory(PostgresFactory):
    """PostgresFactory whose application recorder is ProcuraPostgresRecorder.

    ``APPLICATION_RECORDER_TOPIC`` still takes precedence (library behaviour).
    With ``PROCURA_STATEMENT_TIMEOUT_MS`` every pooled connection gets that
    ``statement_timeout``, so a query stuck behind a lock fails instead of
    holding its request (and its pooled connection) forever.
    """

    application_recorder_class = ProcuraPostgresRecorder
    aggregate_recorder_class = ProcuraSnapshotRecorder

    def __init__(self, env: Any):
        super().__init__(env)
        timeout_ms = self.env.get(STATEMENT_TIMEOUT)
        if timeout_ms:
            # The pool is not open yet: its connections will carry the option.
            self.datastore.pool.kwargs["options"] = f"-c statement_timeout={int(timeout_ms)}"
