"""Schema steps on SQLite (see `app.schema.migrator` for the contract).

The lock is the database's own write lock: each step runs in a `BEGIN
EXCLUSIVE` transaction (in WAL mode readers carry on meanwhile), and SQLite's
DDL is transactional, so a failing step leaves nothing behind. A process that
dies releases the lock with its file handle.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path
from typing import Any

from app.schema.migrator import (
    SELECT_APPLIED,
    STEPS_TABLE,
    STEPS_TABLE_DDL,
    MigrationFailed,
    MigrationLockTimeout,
    Migrator,
)
from app.schema.steps import Step

Transaction = Callable[[float], AbstractContextManager[Any]]


class SQLiteMigrator(Migrator):
    def __init__(self, steps: tuple[Step, ...], transaction: Transaction, *, wait_seconds: float):
        super().__init__(steps, wait_seconds=wait_seconds)
        self._transaction = transaction

    @classmethod
    def for_file(cls, path: Path, steps: tuple[Step, ...], *, wait_seconds: float) -> SQLiteMigrator:
        return cls(steps, lambda deadline: _exclusive(path, deadline, cls._waiting), wait_seconds=wait_seconds)

    @classmethod
    def for_datastore(cls, datastore: Any, steps: tuple[Step, ...]) -> SQLiteMigrator:
        """On the eventsourcing library's SQLite datastore (an in-memory database
        private to one process, where no other process can compete)."""
        @contextmanager
        def transaction(deadline: float) -> Iterator[sqlite3.Cursor]:
            with datastore.transaction(commit=True) as cur:
                yield cur.sqlite_cursor

        return cls(steps, transaction, wait_seconds=0)

    def _applied_rows(self) -> list[tuple]:
        with self._transaction(time.monotonic() + self.wait_seconds) as cur:
            exists = cur.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                 (STEPS_TABLE,)).fetchone()
            return [tuple(row) for row in cur.execute(SELECT_APPLIED).fetchall()] if exists else []

    def _apply_if_pending(self, step: Step, deadline: float) -> bool:
        with self._transaction(deadline) as cur:
            cur.execute(STEPS_TABLE_DDL)
            if cur.execute(f"SELECT 1 FROM {STEPS_TABLE} WHERE number = ?", (step.number,)).fetchone():
                return False
            started = time.monotonic()
            try:
                for statement in step.sqlite_statements():
                    cur.execute(statement)
            except sqlite3.Error as error:
                raise MigrationFailed(step, str(error)) from error
            cur.execute(f"INSERT INTO {STEPS_TABLE} (number, name, checksum, applied_at, release, duration_ms) "
                        "VALUES (?, ?, ?, ?, ?, ?)", self._record(step, started))
        return True


@contextmanager
def _exclusive(path: Path, deadline: float, waiting: Callable[[str], None]) -> Iterator[sqlite3.Cursor]:
    """An exclusive transaction on the database file, committed when the block
    ends and rolled back when it raises. Waits for other writers until
    `deadline` (saying so once), then raises MigrationLockTimeout."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path, isolation_level=None, timeout=0.05)) as conn:
        said = False
        while True:
            try:
                conn.execute("BEGIN EXCLUSIVE")
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                if time.monotonic() >= deadline:
                    raise MigrationLockTimeout(
                        f"gave up waiting for another process to let go of {path} "
                        "(PROCURA_MIGRATE_WAIT_SECONDS)") from None
                if not said:
                    waiting(f"another process writing {path}")
                    said = True
                conn.execute("PRAGMA busy_timeout = 200")  # later tries wait inside SQLite
        cur = conn.cursor()
        try:
            yield cur
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
