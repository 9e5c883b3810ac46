"""SQLite recorder that writes command records atomically with events.

Use with ``PERSISTENCE_MODULE="app.persistence.sqlite:ProcuraSQLiteFactory"``
and ``SQLITE_DBNAME``. Same contract as the PostgreSQL recorder (see
``app.persistence.command_records``): the record is inserted in the library's insert
transaction, right after the events, and any exception (a duplicate key
raises ``CommandAlreadyRecorded``) rolls the whole transaction back.

Storage: headers as JSON text, body as BLOB, created_at as fixed-width UTC
ISO-8601 text (always with microseconds) so that text order is time order.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteFactory

from app.persistence.command_records import (
    CommandAlreadyRecorded,
    CommandRecord,
    CommandRecorder,
    command_from_kwargs,
    commands_table_name_for,
    require_aware,
)
from app.persistence.positions import EventRow, PositionReader

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent
    from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore


def _utc_text(moment: datetime) -> str:
    # Fixed width (isoformat() drops ".000000"), so comparisons as text are correct.
    return require_aware(moment).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class ProcuraSQLiteRecorder(SQLiteApplicationRecorder, CommandRecorder, PositionReader):
    """Application recorder with an atomic command-record table."""

    def __init__(
        self,
        datastore: SQLiteDatastore,
        events_table_name: str = "stored_events",
        *,
        commands_table_name: str | None = None,
    ):
        # Set before super().__init__(), which builds the CREATE statements.
        self.commands_table_name = commands_table_name or commands_table_name_for(
            events_table_name
        )
        super().__init__(datastore, events_table_name)
        table = self.commands_table_name
        self.insert_command_statement = (
            f"INSERT INTO {table} (org, principal, key, fingerprint, status, headers, "
            "body, created_at, event_position, po_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (org, principal, key) DO NOTHING RETURNING org"
        )
        self.select_command_statement = (
            f"SELECT * FROM {table} WHERE org = ? AND principal = ? AND key = ?"
        )
        self.select_commands_statement = (
            f"SELECT * FROM {table} WHERE org = ? AND principal = ? ORDER BY created_at"
        )
        self.select_commands_with_key_statement = (
            f"SELECT * FROM {table} WHERE org = ? AND key = ? ORDER BY created_at"
        )
        self.select_commands_for_po_statement = (
            f"SELECT * FROM {table} WHERE org = ? AND po_id = ? ORDER BY created_at"
        )
        self.select_refusals_for_po_statement = (
            f"SELECT * FROM {table} WHERE org = ? AND po_id = ? AND status >= 400 ORDER BY created_at"
        )
        self.purge_commands_statement = f"DELETE FROM {table} WHERE created_at < ?"

    def construct_create_table_statements(self) -> list[str]:
        table = self.commands_table_name
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {table} ("
            "org TEXT NOT NULL, "
            "principal TEXT NOT NULL, "
            "key TEXT NOT NULL, "
            "fingerprint TEXT NOT NULL, "
            "status INTEGER NOT NULL, "
            "headers TEXT NOT NULL, "
            "body BLOB NOT NULL, "
            "created_at TEXT NOT NULL, "
            "event_position INTEGER NULL, "
            "po_id TEXT NULL, "
            "PRIMARY KEY (org, principal, key)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {table}_created_at_idx ON {table} (created_at)",
            f"CREATE INDEX IF NOT EXISTS {table}_org_po_id_idx ON {table} (org, po_id) "
            "WHERE po_id IS NOT NULL",
            f"CREATE INDEX IF NOT EXISTS {table}_org_key_idx ON {table} (org, key)",
        ]

    def _insert_events(
        self,
        c: SQLiteCursor,
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        # Runs inside datastore.transaction(commit=True): raising rolls back.
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        command = command_from_kwargs(kwargs)
        if command is not None:
            position = max(notification_ids) if notification_ids else None
            self._insert_command(c, command.with_position(position))
        return notification_ids

    def _insert_command(self, c: SQLiteCursor, command: CommandRecord) -> None:
        """Insert one record; raise CommandAlreadyRecorded if the key exists."""
        c.execute(
            self.insert_command_statement,
            (
                command.org,
                command.principal,
                command.key,
                command.fingerprint,
                command.status,
                json.dumps(command.headers),
                command.body,
                _utc_text(command.created_at),
                command.event_position,
                command.po_id,
            ),
        )
        # fetchall() steps the statement to completion before the commit.
        if not c.fetchall():
            raise CommandAlreadyRecorded(command.org, command.principal, command.key)

    def select_command(self, org: str, principal: str, key: str) -> CommandRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_command_statement, (org, principal, key))
            row = c.fetchone()
        return None if row is None else self._record(row)

    def select_commands(self, org: str, principal: str) -> list[CommandRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_commands_statement, (org, principal))
            rows = c.fetchall()
        return [self._record(row) for row in rows]

    def select_at(self, positions: Sequence[int]) -> list[EventRow]:
        found: list[EventRow] = []
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(positions), 500):  # below SQLite's limit on parameters
                chunk = list(positions[start:start + 500])
                c.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM "
                          f"{self.events_table_name} WHERE rowid IN ({', '.join('?' * len(chunk))}) ORDER BY rowid",
                          chunk)
                found += [EventRow(row[0], UUID(row[1]), row[2], row[3], row[4]) for row in c.fetchall()]
        return found

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT originator_version, rowid FROM {self.events_table_name} WHERE originator_id = ?",
                      (originator_id.hex,))  # the library stores ids as 32 hex digits
            return {row[0]: row[1] for row in c.fetchall()}

    def select_commands_with_key(self, org: str, key: str) -> list[CommandRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_commands_with_key_statement, (org, key))
            rows = c.fetchall()
        return [self._record(row) for row in rows]

    def select_commands_for_po(self, org: str, po_id: str) -> list[CommandRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_commands_for_po_statement, (org, po_id))
            rows = c.fetchall()
        return [self._record(row) for row in rows]

    def select_refusals_for_po(self, org: str, po_id: str) -> list[CommandRecord]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_refusals_for_po_statement, (org, po_id))
            rows = c.fetchall()
        return [self._record(row) for row in rows]

    @staticmethod
    def _record(row) -> CommandRecord:
        return CommandRecord(
            org=row["org"],
            principal=row["principal"],
            key=row["key"],
            fingerprint=row["fingerprint"],
            status=row["status"],
            headers=json.loads(row["headers"]),
            body=bytes(row["body"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            event_position=row["event_position"],
            po_id=row["po_id"],
        )

    def purge_commands(self, older_than: datetime) -> int:
        with self.datastore.transaction(commit=True) as c:
            c.execute(self.purge_commands_statement, (_utc_text(older_than),))
            c.execute("SELECT changes()")
            return c.fetchone()[0]


class ProcuraSQLiteFactory(SQLiteFactory):
    """SQLiteFactory whose application recorder is ProcuraSQLiteRecorder.

    SQLiteFactory.application_recorder() reads ``self.application_recorder_class``
    (after ``APPLICATION_RECORDER_TOPIC``), so the class attribute is enough.
    """

    application_recorder_class = ProcuraSQLiteRecorder
