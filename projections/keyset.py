"""Keyset pagination: "rows after this one" in a stable total order.

A page continues strictly after the last row of the previous page, ordered by
(sort column, id), so rows that arrive meanwhile never shift the pages (as
OFFSET would): rows inserted before the cursor are not seen, rows after it
are, and no pre-existing row is returned twice or skipped while its sort
column does not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Order:
    """ORDER BY `column` (then id) ascending or descending."""

    column: str
    descending: bool

    def by(self, table: str = "") -> str:
        """The ORDER BY list; `table` qualifies the columns (`"s."`)."""
        direction = "DESC" if self.descending else "ASC"
        return f"{table}{self.column} {direction}, {table}id {direction}"

    def after(self, key: tuple[Any, str] | None, params: dict[str, Any]) -> str:
        """A WHERE fragment selecting rows strictly after `key` (value, id)."""
        if key is None:
            return "1 = 1"
        params["k_value"], params["k_id"] = key
        op = "<" if self.descending else ">"
        return (f"({self.column} {op} %(k_value)s OR "
                f"({self.column} = %(k_value)s AND id {op} %(k_id)s))")


def limit_one_more(limit: int) -> str:
    """`LIMIT limit + 1` (one more than a page, for `page`) as a literal.

    PostgreSQL plans a prepared statement whose LIMIT is a parameter for an
    unknown row count, finds its generic plan dear and plans it again on
    every execution; with the literal it keeps one plan (one statement per
    page size, which clients rarely vary)."""
    return f"LIMIT {int(limit) + 1:d}"


def page(rows: list[Any], limit: int, column: str | int, id_column: str | int = "id") -> tuple[list[Any], tuple | None]:
    """Split `limit + 1` fetched rows into the page and the key to continue
    after; `column` and `id_column` index a row (names of dict rows,
    positions of tuple rows)."""
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], (last[column], last[id_column])
