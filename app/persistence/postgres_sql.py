"""The SQL of Procura's PostgreSQL recorder: the command records' table, the
statements of the command path, and the save-one function, for one events
table and its commands table (app/persistence/postgres.py runs them).

Procura's own database gets its tables and the function from the schema
steps (app/schema/steps/postgres); the DDL here serves `create_table()` for
other table names (the library's recorder test cases).
"""

from __future__ import annotations

import dataclasses

from psycopg.sql import SQL, Composed, Identifier, Literal

from app.persistence.command_records import CommandRecord

#: The record's columns, in CommandRecord's field order: rows come back as tuples.
RECORD_COLUMNS = SQL(", ").join(Identifier(f.name) for f in dataclasses.fields(CommandRecord))


@dataclasses.dataclass(frozen=True)
class Tables:
    """Where one store lives: its schema, events and commands tables."""

    schema: str
    events: str
    commands: str
    originator_id_type: str

    def qualified(self, table: str) -> Composed:
        return SQL("{}.{}").format(Identifier(self.schema), Identifier(table))


def commands_table_ddl(tables: Tables, index_name: str, po_index_name: str, key_index_name: str
                       ) -> list[Composed]:
    """CREATE the commands table, its created_at index, its (org, po_id)
    index and its (org, key) index (IF NOT EXISTS)."""
    table = tables.qualified(tables.commands)
    return [
        SQL("CREATE TABLE IF NOT EXISTS {table} ("
            "org text NOT NULL, principal text NOT NULL, key text NOT NULL, fingerprint text NOT NULL, "
            "status integer NOT NULL, headers jsonb NOT NULL, body bytea NOT NULL, "
            "created_at timestamptz NOT NULL, event_position bigint NULL, po_id text NULL, "
            "PRIMARY KEY (org, principal, key))").format(table=table),
        SQL("CREATE INDEX IF NOT EXISTS {index} ON {table} (created_at)").format(
            index=Identifier(index_name), table=table),
        SQL("CREATE INDEX IF NOT EXISTS {index} ON {table} (org, po_id) WHERE po_id IS NOT NULL").format(
            index=Identifier(po_index_name), table=table),
        SQL("CREATE INDEX IF NOT EXISTS {index} ON {table} (org, key)").format(
            index=Identifier(key_index_name), table=table),
    ]


@dataclasses.dataclass(frozen=True)
class CommandStatements:
    """The statements reading and writing command records, and reading events
    after a position. The two on every command's path are bytes, rendered
    once: psycopg renders a Composed statement again on every execute."""

    insert_command: bytes
    select_command: bytes
    select_commands: Composed
    select_commands_with_key: Composed
    select_commands_for_po: Composed
    select_refusals_for_po: Composed
    purge_commands: Composed
    select_after: Composed
    positions_of: Composed


def select_at(tables: Tables) -> Composed:
    """The stored events at the positions of an array (the parameter), in order."""
    return SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {events} "
               "WHERE notification_id = ANY(%s::bigint[]) ORDER BY notification_id").format(
        events=tables.qualified(tables.events))


def command_statements(tables: Tables) -> CommandStatements:
    table, events = tables.qualified(tables.commands), tables.qualified(tables.events)
    return CommandStatements(
        # No ON CONFLICT: a duplicate key fails the transaction (the events
        # roll back with it) and is recognised by its table name.
        insert_command=SQL("INSERT INTO {table} (org, principal, key, fingerprint, status, headers, body, "
                           "created_at, event_position, po_id) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, %s)"
                           ).format(table=table).as_bytes(),
        select_command=SQL("SELECT {columns} FROM {table} WHERE org = %s AND principal = %s AND key = %s"
                           ).format(columns=RECORD_COLUMNS, table=table).as_bytes(),
        select_commands=SQL("SELECT {columns} FROM {table} WHERE org = %s AND principal = %s ORDER BY created_at"
                            ).format(columns=RECORD_COLUMNS, table=table),
        select_commands_with_key=SQL("SELECT {columns} FROM {table} WHERE org = %s AND key = %s "
                                     "ORDER BY created_at").format(columns=RECORD_COLUMNS, table=table),
        select_commands_for_po=SQL("SELECT {columns} FROM {table} WHERE org = %s AND po_id = %s "
                                   "ORDER BY created_at").format(columns=RECORD_COLUMNS, table=table),
        select_refusals_for_po=SQL("SELECT {columns} FROM {table} WHERE org = %s AND po_id = %s AND status >= 400 "
                                   "ORDER BY created_at").format(columns=RECORD_COLUMNS, table=table),
        purge_commands=SQL("DELETE FROM {table} WHERE created_at < %s").format(table=table),
        select_after=SQL("SELECT notification_id, originator_id, originator_version, topic, state FROM {events} "
                         "WHERE notification_id > %s::bigint AND (%s::bigint IS NULL OR notification_id <= %s::bigint) "
                         "ORDER BY notification_id LIMIT %s::bigint").format(events=events),
        positions_of=SQL("SELECT originator_version, notification_id FROM {events} WHERE originator_id = %s"
                         ).format(events=events),
    )


def events_and_command_parts(tables: Tables) -> tuple[bytes, bytes, bytes]:
    """Head, one event's row, and tail of the statement inserting N events and
    their command record and notifying: head + ", ".join([row] * N) + tail.

    Events go in as rows of scalar parameters (arrays, as the library sends
    them, cost psycopg five times as much to dump); ids come back in input
    order (as the library's do), and the record's position is their maximum.
    `pg_notify(channel, '')` is the library's `NOTIFY channel`; repeats
    within a transaction are delivered once.
    """
    return (
        SQL("WITH ev AS (INSERT INTO {events} (originator_id, originator_version, topic, state) VALUES "
            ).format(events=tables.qualified(tables.events)).as_bytes(),
        SQL("(%s::{id_type}, %s::bigint, %s, %s::bytea)").format(
            id_type=Identifier(tables.originator_id_type)).as_bytes(),
        SQL(" RETURNING notification_id), "
            "cmd AS (INSERT INTO {commands} (org, principal, key, fingerprint, status, "
            "headers, body, created_at, po_id, event_position) "
            "SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, max(notification_id) FROM ev) "
            "SELECT notification_id, pg_notify(%s, '') FROM ev ORDER BY notification_id").format(
            commands=tables.qualified(tables.commands)).as_bytes(),
    )


def save_one_function_ddl(tables: Tables, function: str, channel: str, lock_timeout: str) -> Composed:
    """CREATE the function saving ONE event and its command record in one
    call (schema step 0004 holds the same for Procura's own tables): it takes
    the events table's lock with the session's `procura.lock_timeout` (else
    `lock_timeout`), inserts both and notifies the library's channel."""
    events = tables.qualified(tables.events)
    return SQL(
        "CREATE OR REPLACE FUNCTION {function}("
        "e_originator_id {id_type}, e_originator_version bigint, e_topic text, e_state bytea, "
        "c_org text, c_principal text, c_key text, c_fingerprint text, c_status integer, "
        "c_headers jsonb, c_body bytea, c_created_at timestamptz, c_po_id text) "
        "RETURNS bigint LANGUAGE plpgsql AS $BODY$ "
        "DECLARE position bigint; "
        "BEGIN "
        "PERFORM set_config('lock_timeout', "
        "coalesce(nullif(current_setting('procura.lock_timeout', true), ''), {lock_timeout}), true); "
        "LOCK TABLE {events} IN EXCLUSIVE MODE; "
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "VALUES (e_originator_id, e_originator_version, e_topic, e_state) "
        "RETURNING notification_id INTO position; "
        "INSERT INTO {commands} (org, principal, key, fingerprint, status, headers, body, "
        "created_at, event_position, po_id) VALUES (c_org, c_principal, c_key, c_fingerprint, c_status, "
        "c_headers, c_body, c_created_at, position, c_po_id); "
        "NOTIFY {channel}; "
        "RETURN position; "
        "END $BODY$"
    ).format(function=tables.qualified(function), id_type=Identifier(tables.originator_id_type),
             lock_timeout=Literal(lock_timeout), events=events, commands=tables.qualified(tables.commands),
             channel=Identifier(channel))


def save_one_call(tables: Tables, function: str) -> bytes:
    """The statement calling the save-one function; its row's `notification_id`."""
    return SQL("SELECT {function}(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) AS notification_id"
               ).format(function=tables.qualified(function)).as_bytes()
