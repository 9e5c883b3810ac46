"""Schema steps on PostgreSQL (see `app.schema.migrator` for the contract).

The lock is `pg_advisory_xact_lock`, taken first in each step's transaction
and released by its COMMIT or ROLLBACK: no session state outlives a
transaction, so this works behind a transaction-pooling PgBouncer, and a
migrator that dies releases the lock with its connection. A step's DDL waits
at most `DDL_LOCK_TIMEOUT` for its table locks: a statement queued for an
ACCESS EXCLUSIVE lock blocks every later reader of that table, so it gives
up quickly and the whole step is tried again.
"""

from __future__ import annotations

import time

import psycopg
import psycopg.errors

from app.config import PEER_TIMEOUTS
from app.schema.migrator import (
    SELECT_APPLIED,
    STEPS_TABLE,
    STEPS_TABLE_DDL,
    MigrationFailed,
    MigrationLockTimeout,
    Migrator,
    SchemaError,
    TableBusy,
)
from app.schema.steps import Step

#: The advisory lock's key: "procura" in the key space every Procura process shares.
LOCK_KEY = 0x70726F63757261
DDL_LOCK_TIMEOUT = "2s"


class PostgresMigrator(Migrator):
    def __init__(self, url: str, steps: tuple[Step, ...], *, wait_seconds: float, connect_timeout: int):
        super().__init__(steps, wait_seconds=wait_seconds)
        self.url = url
        self.connect_timeout = connect_timeout

    def _connect(self) -> psycopg.Connection:
        try:
            # Nothing prepared: each statement runs once per connection, and a
            # transaction pooler would hand the next one another server connection.
            return psycopg.connect(self.url, autocommit=True, connect_timeout=self.connect_timeout,
                                   prepare_threshold=None, **PEER_TIMEOUTS)
        except psycopg.OperationalError as error:
            raise SchemaError(f"cannot reach PostgreSQL: {str(error).strip().splitlines()[-1]}") from None

    def _applied_rows(self) -> list[tuple]:
        with self._connect() as conn:
            if conn.execute("SELECT to_regclass(%s)", (STEPS_TABLE,)).fetchone()[0] is None:
                return []
            return conn.execute(SELECT_APPLIED).fetchall()

    def _apply_if_pending(self, step: Step, deadline: float) -> bool:
        with self._connect() as conn, conn.transaction():
            self._lock(conn, deadline)
            conn.execute(STEPS_TABLE_DDL)
            if conn.execute(f"SELECT 1 FROM {STEPS_TABLE} WHERE number = %s", (step.number,)).fetchone():
                return False
            started = time.monotonic()
            conn.execute("SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', '0', true)",
                         (DDL_LOCK_TIMEOUT,))
            try:
                conn.execute(step.sql.encode())  # no parameters: one simple query, several statements
            except psycopg.errors.LockNotAvailable as error:
                raise TableBusy(str(error).splitlines()[0]) from error
            except psycopg.Error as error:
                raise MigrationFailed(step, str(error)) from error
            conn.execute(f"INSERT INTO {STEPS_TABLE} (number, name, checksum, applied_at, release, duration_ms) "
                         "VALUES (%s, %s, %s, %s, %s, %s)", self._record(step, started))
        return True

    def _lock(self, conn: psycopg.Connection, deadline: float) -> None:
        """Take the migration lock for this transaction, waiting until `deadline`."""
        if conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,)).fetchone()[0]:
            return
        holder = conn.execute(
            "SELECT string_agg(pid::text, ', ') FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objid = (%s::bigint & 4294967295)::oid AND classid = (%s::bigint >> 32)::oid",
            (LOCK_KEY, LOCK_KEY)).fetchone()[0]
        self._waiting(f"another process (PostgreSQL backend {holder or 'unknown'})")
        remaining_ms = max(1, int((deadline - time.monotonic()) * 1000))
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{remaining_ms}ms",))
        try:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        except psycopg.errors.LockNotAvailable:
            raise MigrationLockTimeout(
                f"gave up after waiting {self.wait_seconds:g} s for another process to finish migrating "
                "(PROCURA_MIGRATE_WAIT_SECONDS)") from None
