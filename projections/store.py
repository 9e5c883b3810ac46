"""SQL access for read models, on PostgreSQL or SQLite, and their tracking.

Read-model SQL is written once, in the subset both databases share (BIGINT,
TEXT, INTEGER, `ON CONFLICT ... DO UPDATE`, `excluded.`), with `%(name)s`
placeholders that are translated for SQLite. Money is stored as integer
cents and times as fixed-width RFC 3339 UTC text, so both databases sort and
sum them exactly alike.

Tracking: one row per projection in `procura_tracking` holding the global
position of the last event the projection applied. `advance` moves it inside
the same transaction as the projection's rows, and only from the position the
caller read, so two workers can never both apply one batch.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, NamedTuple

from eventsourcing.persistence import OperationalError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg.rows import tuple_row

_NAMED = re.compile(r"%\((\w+)\)s")


class TrackingConflict(Exception):
    """Another worker advanced this projection first; its batch was not applied."""


def utc_text(moment: datetime | None = None) -> str:
    """Fixed-width UTC text that sorts like the time it names (2026-01-31T09:00:00.000000Z)."""
    moment = moment or datetime.now(UTC)
    # isoformat is several times faster than strftime, and rebuilds call this per event.
    if moment.tzinfo is None:  # naive times are taken as UTC
        return moment.isoformat(timespec="microseconds") + "Z"
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"  # drop "+00:00"


def _as_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    # sqlite3 takes and gives no plain dicts; psycopg's rows already are
    # (copying them costs a rebuild several per cent).
    return row if type(row) is dict else dict(row)


def among_ids(table: str, column: str) -> str:
    """PostgreSQL: the rows of `table` whose `column` is among the text array `%(ids)s`."""
    return f"SELECT * FROM {table} WHERE {column} = ANY(%(ids)s::text[])"


class Cursor:
    """A DB-API cursor that takes `%(name)s` parameters on either database."""

    def __init__(self, raw: Any, dialect: str):
        # The library wraps sqlite3 cursors; unwrap for rowcount and friends.
        self.raw = getattr(raw, "sqlite_cursor", raw)
        self.dialect = dialect
        #: Rows read ahead by `read_ahead`: (table, column) -> (the ids asked, their rows).
        self.read_ahead_rows: dict[tuple[str, str], tuple[frozenset[str], list[dict[str, Any]]]] = {}

    def read_ahead(self, reads: Sequence[tuple[str, str]], ids: Sequence[str]) -> None:
        """Read the rows of each (table, column) whose column is among `ids`,
        every statement sent before any answer is awaited: in a pipelined
        transaction one round trip for all of them. `select_by_ids` then
        answers from them. PostgreSQL only (elsewhere nothing is read ahead)."""
        if self.dialect != "postgres" or not reads or not ids:
            return
        asked = list(dict.fromkeys(ids))
        sent = []
        for table, column in reads:
            own = Cursor(self.raw.connection.cursor(), self.dialect)
            own.execute(among_ids(table, column), {"ids": asked})
            sent.append(((table, column), own))
        self.read_ahead_rows = {key: (frozenset(asked), own.fetchall()) for key, own in sent}

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Cursor:
        if self.dialect == "sqlite":
            sql = _NAMED.sub(r":\1", sql)
        self.raw.execute(sql, dict(params or {}))
        return self

    def executemany(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if self.dialect == "sqlite":
            sql = _NAMED.sub(r":\1", sql)
        self.raw.executemany(sql, [_as_dict(r) for r in rows])

    def fetchall(self) -> list[dict[str, Any]]:
        return [_as_dict(row) for row in self.raw.fetchall()]

    def fetchone(self) -> dict[str, Any] | None:
        row = self.raw.fetchone()
        return None if row is None else _as_dict(row)

    @property
    def rowcount(self) -> int:
        return self.raw.rowcount


class Pipelined(NamedTuple):
    """A pipelined transaction's cursor, and how to wait for every answer so far."""

    cur: Cursor
    sync: Callable[[], None]


class ReadStore:
    """The database the read models live in (the event store's own)."""

    def __init__(self, datastore: PostgresDatastore | SQLiteDatastore, *, owns_datastore: bool = False):
        self.datastore = datastore
        self.dialect = "postgres" if isinstance(datastore, PostgresDatastore) else "sqlite"
        self._owns_datastore = owns_datastore

    @classmethod
    def for_application(cls, app: Any) -> ReadStore:
        """The event store's database, or a private in-memory SQLite one when
        the events themselves live in memory (unit tests)."""
        datastore = getattr(app.recorder, "datastore", None)
        if datastore is not None:
            return cls(datastore)
        name = f"file:procura-read-{uuid.uuid4().hex}?mode=memory&cache=shared"
        return cls(SQLiteDatastore(name), owns_datastore=True)

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        """One committed transaction (rolled back if the block raises)."""
        with self.datastore.transaction(commit=True) as raw:
            yield Cursor(raw, self.dialect)

    @contextmanager
    def pipelined_transaction(self) -> Iterator[Pipelined]:
        """One committed transaction whose statements PostgreSQL receives as
        a pipeline: a statement whose rows nobody fetches does not wait for
        its answer, so a batch costs a round trip per read, not one per
        statement. An error may surface at a later statement than the one
        that caused it: `Pipelined.sync` raises it before the commit. On
        SQLite, a plain transaction."""
        if self.dialect != "postgres":
            with self.transaction() as cur:
                yield Pipelined(cur, lambda: None)
            return
        with self.datastore.get_connection() as conn, conn.pipeline() as pipeline, conn.transaction():
            yield Pipelined(Cursor(conn.cursor(), self.dialect), pipeline.sync)

    @contextmanager
    def snapshot(self) -> Iterator[Cursor]:
        """A read-only transaction whose statements all see one snapshot, so a
        tracking position read in it describes exactly the rows read with it.
        (SQLite's deferred BEGIN already holds one snapshot from the first read.)"""
        with self.datastore.transaction(commit=False) as raw:
            cur = Cursor(raw, self.dialect)
            if self.dialect == "postgres":
                cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield cur

    @contextmanager
    def _one_statement(self) -> Iterator[Any]:
        """A raw cursor for one read-only statement, which sees one snapshot.
        On PostgreSQL the pool's autocommit connection: one round trip, where
        BEGIN, the statement and ROLLBACK took three."""
        if self.dialect == "postgres":
            with self.datastore.cursor() as raw:
                yield raw
        else:
            with self.datastore.transaction(commit=False) as raw:
                yield raw

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Rows of one read-only statement (`_one_statement`)."""
        with self._one_statement() as raw:
            return Cursor(raw, self.dialect).execute(sql, params).fetchall()

    def page_at_position(self, names: Sequence[str], sql: str, params: dict[str, Any],
                         order_by: str) -> tuple[list[tuple], int]:
        """The rows of `sql` (a page query whose first column is `id`;
        `order_by` is its ORDER BY with columns qualified `s.`) as tuples in
        its column order, and the lowest tracked position of the projections
        `names` (0 for none), read by ONE statement: one snapshot, so the
        position describes exactly these rows, and one round trip. Tuples,
        not dicts: a page's caller builds its own documents from them, and a
        dict per row was a tenth of a list request."""
        names_params = {f"tn{i}": name for i, name in enumerate(names)}
        wanted = ", ".join(f"%({key})s" for key in names_params)
        statement = (
            "SELECT s.*, p.projection_position FROM (SELECT COALESCE(MIN(position), 0) AS projection_position "
            f"FROM procura_tracking WHERE name IN ({wanted})) AS p LEFT JOIN ({sql}) AS s ON 1 = 1 "
            f"ORDER BY {order_by}")
        rows = self._tuples(statement, {**params, **names_params})
        # Without rows the page query's columns come back NULL beside the position.
        return [r[:-1] for r in rows if r[0] is not None], int(rows[0][-1])

    def _tuples(self, sql: str, params: Mapping[str, Any]) -> list[tuple]:
        """As `query`, rows as tuples."""
        with self._one_statement() as raw:
            if self.dialect == "postgres":
                raw.row_factory = tuple_row  # this cursor only; the connection keeps dict rows
            return [tuple(row) for row in Cursor(raw, self.dialect).execute(sql, params).raw.fetchall()]

    def create_tracking(self, names: Sequence[str]) -> None:
        """A tracking row at position 0 for each new name (the table itself
        comes from the schema steps)."""
        with self.transaction() as cur:
            for name in names:
                cur.execute(
                    "INSERT INTO procura_tracking (name, position, updated_at) "
                    "VALUES (%(name)s, 0, %(now)s) ON CONFLICT (name) DO NOTHING",
                    {"name": name, "now": utc_text()},
                )

    def positions(self) -> dict[str, dict[str, Any]]:
        """Every projection's tracked position and when it last moved."""
        rows = self.query("SELECT name, position, updated_at FROM procura_tracking")
        return {row["name"]: row for row in rows}

    def position(self, name: str) -> int:
        rows = self.query("SELECT position FROM procura_tracking WHERE name = %(name)s", {"name": name})
        return int(rows[0]["position"]) if rows else 0

    @staticmethod
    def advance(cur: Cursor, name: str, expected: int, new: int) -> None:
        """Move `name` from `expected` to `new` in the caller's transaction.

        Raises TrackingConflict when the row is no longer at `expected`. Run it
        first in the transaction: on PostgreSQL it locks the tracking row, so a
        second worker waits here and then finds the position moved.
        """
        cur.execute(
            "UPDATE procura_tracking SET position = %(new)s, updated_at = %(now)s "
            "WHERE name = %(name)s AND position = %(expected)s",
            {"name": name, "expected": expected, "new": new, "now": utc_text()},
        )
        if cur.rowcount != 1:
            raise TrackingConflict(name)

    @staticmethod
    def advance_all_checked_later(cur: Cursor, expected: Mapping[str, int], new: int) -> Callable[[], None]:
        """`advance_all` in a pipelined transaction: sent at once (first, so it
        still takes the tracking rows' locks before anything else), checked
        by the returned function once the pipeline has synced, on a cursor
        of its own so that later statements do not replace its row count."""
        if cur.dialect != "postgres":  # no pipeline: checked at once
            ReadStore.advance_all(cur, expected, new)
            return lambda: None
        own = Cursor(cur.raw.connection.cursor(), cur.dialect)
        ReadStore.advance_all(own, expected, new, check=False)

        def check() -> None:
            if own.rowcount != len(expected):
                raise TrackingConflict(", ".join(expected))
        return check

    @staticmethod
    def advance_all(cur: Cursor, expected: Mapping[str, int], new: int, *, check: bool = True) -> None:
        """Move every named row from its `expected` position to `new` with ONE
        statement (one round trip for a fan-out's members, not one each), in
        the caller's transaction. Raises TrackingConflict when any row is no
        longer where expected (the caller re-reads them all)."""
        params: dict[str, Any] = {"new": new, "now": utc_text()}
        rows = []
        for i, (name, position) in enumerate(expected.items()):
            params[f"n{i}"], params[f"e{i}"] = name, position
            rows.append(f"(%(n{i})s, CAST(%(e{i})s AS BIGINT))")
        # VALUES' columns are column1, column2 on both databases; SQLite takes no
        # column aliases there, and counts no rows for a statement led by WITH.
        cur.execute(
            "UPDATE procura_tracking SET position = %(new)s, updated_at = %(now)s "
            f"FROM (VALUES {', '.join(rows)}) AS moved "
            "WHERE procura_tracking.name = moved.column1 AND procura_tracking.position = moved.column2",
            params,
        )
        if check and cur.rowcount != len(expected):
            raise TrackingConflict(", ".join(expected))

    @staticmethod
    def lock(cur: Cursor, name: str) -> int:
        """Hold `name`'s tracking row until the caller's transaction ends (a
        worker's `advance` waits meanwhile) and return its position."""
        cur.execute("UPDATE procura_tracking SET updated_at = updated_at WHERE name = %(name)s", {"name": name})
        row = cur.execute("SELECT position FROM procura_tracking WHERE name = %(name)s", {"name": name}).fetchone()
        return int(row["position"]) if row else 0

    @staticmethod
    def set_position(cur: Cursor, name: str, position: int) -> None:
        """Create or move `name`'s tracking row unconditionally (rebuild, switch)."""
        cur.execute(
            "INSERT INTO procura_tracking (name, position, updated_at) VALUES (%(name)s, %(p)s, %(now)s) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
            {"name": name, "p": position, "now": utc_text()},
        )

    @staticmethod
    def forget(cur: Cursor, name: str) -> None:
        cur.execute("DELETE FROM procura_tracking WHERE name = %(name)s", {"name": name})

    def reset(self, cur: Cursor, name: str) -> None:
        cur.execute(
            "UPDATE procura_tracking SET position = 0, updated_at = %(now)s WHERE name = %(name)s",
            {"name": name, "now": utc_text()},
        )

    def close(self) -> None:
        if self._owns_datastore:
            self.datastore.close()


__all__ = ["Cursor", "OperationalError", "ReadStore", "TrackingConflict", "utc_text"]
