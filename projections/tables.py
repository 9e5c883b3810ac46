"""Read models that own named tables, so any of them can be built under other
names (a rebuild or a verification) while the live tables keep answering.

A `ReadModel` declares its tables as data; `variant("__next")` is the same
model writing to `<table>__next` and tracked as `<name>__next`. Queries always
read the live names (no suffix). SQL here sticks to what PostgreSQL and SQLite
share; table and index names are code constants, never client input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from eventsourcing.utils import get_topic

from aggregates.purchase_order import PurchaseOrder
from projections.runner import Positioned, Processor
from projections.store import Cursor, among_ids

log = logging.getLogger("procura.projections")


@dataclass(frozen=True)
class Table:
    """One table: its base name, column definitions, key and indexes."""

    name: str
    columns: str
    key: tuple[str, ...]
    indexes: tuple[tuple[str, str], ...] = ()  # (index suffix, column list)


PO_TOPIC = get_topic(PurchaseOrder) + "."


class ReadModel(Processor):
    """A Processor owning `tables`, addressable under a name suffix."""

    tables: tuple[Table, ...] = ()
    #: The PurchaseOrder event types `apply` uses (by class name); None: all.
    #: Other events (operations' among them) are never decoded for this model.
    kinds: frozenset[str] | None = None
    shares_transaction = True  # quick SQL only: one read and one commit with the others
    #: Its tables `apply` reads first by the batch's PO ids, with the column
    #: holding them: a fan-out reads them for every member at once.
    reads_by_po: tuple[tuple[Table, str], ...] = ()

    def reads_ahead(self) -> list[tuple[str, str]]:
        return [(self.t(table.name), column) for table, column in self.reads_by_po]

    def wants(self, topic: str) -> bool:
        return topic.startswith(PO_TOPIC) and (self.kinds is None or topic[len(PO_TOPIC):] in self.kinds)

    def __init__(self, suffix: str = ""):
        self.suffix = suffix
        self.name = type(self).name + suffix

    def variant(self, suffix: str) -> ReadModel:
        """The same read model writing to `<table><suffix>`."""
        return type(self)(suffix)

    def t(self, base: str) -> str:
        """The actual name of the table whose base name is `base`."""
        return base + self.suffix

    def create_tables(self, cur: Cursor, *, indexes: bool = True) -> None:
        """Create the tables (idempotent). Without `indexes` only the keys are
        built: a bulk build then creates the rest once (`create_indexes`),
        which is cheaper than maintaining them row by row."""
        for table in self.tables:
            name = self.t(table.name)
            cur.execute(f"CREATE TABLE IF NOT EXISTS {name} ({table.columns}, PRIMARY KEY ({', '.join(table.key)}))")
        if indexes:
            self.create_indexes(cur)

    def create_indexes(self, cur: Cursor) -> None:
        for table in self.tables:
            name = self.t(table.name)
            for suffix, columns in table.indexes:
                cur.execute(f"CREATE INDEX IF NOT EXISTS {name}__{suffix} ON {name} ({columns})")

    def drop_tables(self, cur: Cursor) -> None:
        for table in self.tables:
            cur.execute(f"DROP TABLE IF EXISTS {self.t(table.name)}")

    def clear(self, cur: Cursor) -> None:
        for table in self.tables:
            cur.execute(f"DELETE FROM {self.t(table.name)}")

    def promoted(self, cur: Cursor, scratch: ReadModel) -> None:
        """After a rebuild made `scratch`'s tables the live ones: rename
        whatever else the model keeps beside `tables` (an FTS5 table, an
        index `create_indexes` builds by hand) to the live names."""

    def rows(self, cur: Cursor, table: Table) -> list[dict[str, Any]]:
        """Every row of `table`, in key order (for verification diffs)."""
        return cur.execute(f"SELECT * FROM {self.t(table.name)} ORDER BY {', '.join(table.key)}").fetchall()


# --- periods ---

#: The time of day a day's first moment has in UTC text.
MIDNIGHT = "T00:00:00.000000Z"


def whole_days(since: str | None, before: str | None) -> tuple[str | None, str | None] | None:
    """The UTC days wholly inside [since, before) as (first day, day after the
    last; None: unbounded), or None when no day is."""
    first = None if since is None else since[:10]
    if since is not None and since[10:] != MIDNIGHT:
        if first == "9999-12-31":
            return None
        first = (date.fromisoformat(first) + timedelta(days=1)).isoformat()
    end = None if before is None else before[:10]
    if first is not None and end is not None and first >= end:
        return None
    return first, end


def period_parts(since: str | None, before: str | None) -> tuple[tuple[str | None, str | None] | None,
                                                                  list[tuple[str | None, str | None]]]:
    """[since, before) split for a report that keeps totals per day: the
    days wholly inside it (as `whole_days` gives them) and the part-periods
    left at its edges, to be read row by row (the whole period when no day
    is whole)."""
    whole = whole_days(since, before)
    if whole is None:
        return None, [(since, before)]
    first, end = whole
    edges = []
    if since is not None and since < first + MIDNIGHT:
        edges.append((since, first + MIDNIGHT))
    if before is not None and end + MIDNIGHT < before:
        edges.append((end + MIDNIGHT, before))
    return whole, edges


# --- helpers for batched folding -------------------------------------------


def po_events(batch: Sequence[Positioned]) -> list[Positioned]:
    """The purchase-order events of a batch (operations' events are skipped)."""
    return [p for p in batch if isinstance(p.event, PurchaseOrder.Event)]


def kind(item: Positioned) -> str:
    """The event's type name in the domain's language: Created, Approved, ..."""
    return type(item.event).__name__


def po_id(item: Positioned) -> str:
    return str(item.event.originator_id)


def cents(amount: str | Decimal) -> int:
    """Exact integer cents of a decimal amount with at most two places."""
    return int(Decimal(amount).scaleb(2).to_integral_exact())


def total_cents(lines: Iterable[Mapping[str, Any]]) -> int:
    """A PO's total from its lines, as the aggregate computes it, in cents."""
    return sum(int(line["quantity"]) * cents(line["unit_price"]) for line in lines)


def format_cents(value: int) -> str:
    """Cents as the API's money string ("1250.00", "-0.50")."""
    sign = "-" if value < 0 else ""
    whole, part = divmod(abs(int(value)), 100)
    return f"{sign}{whole}.{part:02d}"


def select_by_ids(cur: Cursor, table: str, column: str, ids: Iterable[str]) -> list[dict[str, Any]]:
    """Rows of `table` whose `column` (text) is among `ids` (from the rows the
    cursor read ahead for them, once, when it did)."""
    ids = list(ids)
    ahead = cur.read_ahead_rows.pop((table, column), None)
    if ahead is not None and ahead[0].issuperset(ids):
        wanted = set(ids)
        return [row for row in ahead[1] if row[column] in wanted]
    if cur.dialect == "postgres":
        # One array parameter: a fixed statement text, parsed and planned once.
        return cur.execute(among_ids(table, column), {"ids": ids}).fetchall()
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        params = {f"i{n}": value for n, value in enumerate(chunk)}
        placeholders = ", ".join(f"%({k})s" for k in params)
        found += cur.execute(f"SELECT * FROM {table} WHERE {column} IN ({placeholders})", params).fetchall()
    return found


#: From this many rows an upsert on PostgreSQL sends arrays (fewer: one pipelined statement per row).
ARRAYS_FROM = 16


def upsert(cur: Cursor, table: str, key: Sequence[str], rows: Sequence[Mapping[str, Any]], *,
           adding: Sequence[str] = ()) -> None:
    """Insert or replace `rows` (all with the same columns; of rows with one
    key the last wins), except that the columns in `adding` are added to
    what the row holds (running totals; one row per key then): on
    PostgreSQL, from ARRAYS_FROM rows, one statement taking a column of
    values per array parameter; else one executemany."""
    if not rows:
        return
    columns = list(rows[0])
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" if c in adding else f"{c} = excluded.{c}"
                        for c in columns if c not in key)
    conflict = f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    if cur.dialect != "postgres" or len(rows) < ARRAYS_FROM:
        cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                        f"({', '.join(f'%({c})s' for c in columns)}) {conflict}", rows)
        return
    # A statement per row costs psycopg's pipeline Python per row; arrays cost one statement (but more to set up).
    last = list({tuple(row[k] for k in key): row for row in rows}.values())  # one statement may not touch a row twice
    types = column_types(cur, table)
    arrays = ", ".join(f"%({c})b::{types[c]}[]" for c in columns)  # binary: no per-element quoting
    cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) {conflict}",
                {c: [row[c] for row in last] for c in columns})


_COLUMN_TYPES: dict[str, dict[str, str]] = {}


def column_types(cur: Cursor, table: str) -> dict[str, str]:
    """`table`'s columns' SQL types (PostgreSQL), read from the catalogue once per process."""
    if table not in _COLUMN_TYPES:
        found = cur.execute("SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute "
                            "WHERE attrelid = to_regclass(%(t)s) AND attnum > 0 AND NOT attisdropped",
                            {"t": table}).fetchall()
        _COLUMN_TYPES[table] = {r["name"]: r["type"] for r in found}
    return _COLUMN_TYPES[table]


def fold_into_rows(name: str, keyed: Sequence[tuple[str, Positioned]], rows: dict[str, dict[str, Any]],
                   created: Callable[[str, Positioned], dict[str, Any]],
                   evolve: Callable[[dict[str, Any], Positioned], None]) -> dict[str, Positioned]:
    """Fold a batch's PO events into one row per PO (`rows`, by PO id, as
    loaded): a creation makes the row (`created`), any later event changes it
    (`evolve`) and stamps its version and position; events already applied
    are skipped. The touched POs, each with its latest event."""
    touched: dict[str, Positioned] = {}
    for key, item in keyed:
        row = rows.get(key)
        if kind(item) == "Created":
            if row is not None:
                continue  # already applied (defence in depth; tracking prevents it)
            row = rows[key] = created(key, item)
        elif row is None:
            log.warning("%s: %s for unknown PO %s skipped", name, kind(item), key)
            continue
        elif item.event.originator_version <= row["version"]:
            continue  # already applied (defence in depth; tracking prevents it)
        else:
            evolve(row, item)
        row.update(version=item.event.originator_version, position=item.position)
        touched[key] = item
    return touched
