"""PO search: the words a person may hold about a purchase order, indexed for
`GET /purchase-orders?q=` (docs/integrators/api.md, "Search").

One row per PO: its title, line descriptions and SKUs, supplier reference,
tracking number and requester, each reduced to words by `words` (NFKC,
lowercase, runs of letters and digits). The same reduction makes the query's
terms, so PostgreSQL and SQLite compare the same words: PostgreSQL takes
them as they are (no text-search parser, which treats emails, URLs and
hyphens specially) and FTS5's tokenizer only ever sees words separated by
spaces.

The words are indexed in the read model's own transaction: on PostgreSQL by
a GIN index over each word and its prefixes of 1 to PREFIXED characters
(`procura_po_search_prefixes(document)`, schema step 0013), so a query term
up to that long is one exact entry and GIN intersects the terms by stepping
through the rarest one's POs; on SQLite by a
contentless FTS5 table whose rowid is the row's `doc` (the position of the
PO's creation: unique, and the same in every rebuild), updated by deleting
the old words and inserting the new (verify reads them back with fts5vocab).
Every term must match the start of a word (`ac-100` finds `AC-10003`); there
is no relevance ranking (the list's sort orders the matches).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from projections.runner import Positioned
from projections.store import Cursor
from projections.tables import ReadModel, Table, fold_into_rows, kind, po_events, po_id, select_by_ids, upsert

#: Longest indexed word: longer words are cut, in documents and queries alike
#: (PostgreSQL ignores words over 2047 bytes; a prefix this long is specific enough).
MAX_WORD = 64
_WORD = re.compile(r"[^\W_]+")

SEARCH = Table(
    "rm_po_search",
    "id TEXT NOT NULL, org TEXT NOT NULL, doc BIGINT NOT NULL, requester TEXT NOT NULL, content TEXT NOT NULL, "
    "supplier_reference TEXT, tracking_number TEXT, document TEXT NOT NULL, version INTEGER NOT NULL, "
    "position BIGINT NOT NULL",
    key=("id",),
    indexes=(("doc", "doc"),),
)
#: SQLite: the FTS5 index over `document`, rowid = `doc`; it stores no text of its own.
WORDS = "rm_po_search_words"
#: PostgreSQL: the GIN index over the document's words and their prefixes.
GIN = "rm_po_search__prefixes"
_FTS_COLUMNS = "document, content='', tokenize='unicode61 remove_diacritics 0'"
_TSVECTOR = "procura_po_search_prefixes(document)"
#: The longest prefix indexed as an entry of its own (schema step 0013 says the same).
PREFIXED = 10


def words(text: str | None) -> list[str]:
    """The words of `text` as search compares them: NFKC-normalised, lowercase,
    split at everything that is not a letter or a digit, cut to MAX_WORD."""
    if not text:
        return []
    return [w[:MAX_WORD] for w in _WORD.findall(unicodedata.normalize("NFKC", text).lower())]


def _joined(texts: Iterable[str | None]) -> str:
    return " ".join(w for text in texts for w in words(text))


def _content(event: Any) -> str:
    """The words of the title and of each line's description and SKU."""
    lines = list(event.lines)
    return _joined([event.title, *(part for line in lines for part in (line["description"], line["sku"]))])


def _document(row: dict[str, Any]) -> str:
    return _joined([row["content"], row["supplier_reference"], row["tracking_number"], row["requester"]])


def _created(key: str, item: Positioned) -> dict[str, Any]:
    event = item.event
    return {"id": key, "org": event.org, "doc": item.position, "requester": event.requester,
            "content": _content(event), "supplier_reference": None, "tracking_number": None}


class PurchaseOrderSearch(ReadModel):
    name = "po_search"
    tables = (SEARCH,)
    reads_by_po = ((SEARCH, "id"),)
    kinds = frozenset({"Created", "Revised", "Placed", "Shipped"})

    # --- tables: the FTS5 table (SQLite) and the GIN index (PostgreSQL) besides the row table

    def create_tables(self, cur: Cursor, *, indexes: bool = True) -> None:
        super().create_tables(cur, indexes=indexes)
        if cur.dialect == "sqlite":  # data, not an index: a bulk build fills it row by row
            cur.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.t(WORDS)} USING fts5({_FTS_COLUMNS})")

    def create_indexes(self, cur: Cursor) -> None:
        super().create_indexes(cur)
        if cur.dialect == "postgres":
            cur.execute(f"CREATE INDEX IF NOT EXISTS {self.t(GIN)} ON {self.t(SEARCH.name)} USING GIN ({_TSVECTOR})")

    def drop_tables(self, cur: Cursor) -> None:
        super().drop_tables(cur)
        if cur.dialect == "sqlite":
            cur.execute(f"DROP TABLE IF EXISTS {self.t(WORDS)}")

    def clear(self, cur: Cursor) -> None:
        super().clear(cur)
        if cur.dialect == "sqlite":
            table = self.t(WORDS)
            cur.execute(f"INSERT INTO {table} ({table}) VALUES ('delete-all')")

    def promoted(self, cur: Cursor, scratch: ReadModel) -> None:
        """After `scratch`'s tables became the live ones: its index structures too."""
        if cur.dialect == "postgres":
            cur.execute(f"ALTER INDEX {scratch.t(GIN)} RENAME TO {self.t(GIN)}")
        else:
            cur.execute(f"DROP TABLE IF EXISTS {self.t(WORDS)}")
            cur.execute(f"ALTER TABLE {scratch.t(WORDS)} RENAME TO {self.t(WORDS)}")

    def rows(self, cur: Cursor, table: Table) -> list[dict[str, Any]]:
        """As ReadModel.rows, with (on SQLite) the words the FTS5 index holds
        for each row as `indexed`, and a row for words held under no row's
        doc: verify then compares the index too, which stores no text to read."""
        rows = super().rows(cur, table)
        if cur.dialect != "sqlite" or table is not SEARCH:
            return rows
        indexed = self._indexed_words(cur)
        for row in rows:
            row["indexed"] = indexed.pop(row["doc"], "")
        return rows + [{"id": f"index-only:{doc}", "indexed": held} for doc, held in sorted(indexed.items())]

    def _indexed_words(self, cur: Cursor) -> dict[int, str]:
        """doc -> its words in the FTS5 table, in order (fts5vocab reads them back)."""
        vocabulary = f"{self.t(WORDS)}_vocabulary"
        cur.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{vocabulary} USING fts5vocab(main, {self.t(WORDS)}, "
                    "instance)")
        held: dict[int, list[str]] = {}
        for row in cur.execute(f"SELECT doc, term FROM temp.{vocabulary} ORDER BY doc, offset").fetchall():
            held.setdefault(row["doc"], []).append(row["term"])
        return {doc: " ".join(words) for doc, words in held.items()}

    # --- applying events

    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        items = po_events(batch)
        if not items:
            return
        keyed = [(po_id(i), i) for i in items]
        rows = {r["id"]: r for r in select_by_ids(cur, self.t(SEARCH.name), "id", {key for key, _ in keyed})}
        indexed = {key: row["document"] for key, row in rows.items()}  # what the words index holds now
        touched = fold_into_rows(self.name, keyed, rows, _created, _evolve)
        changed = []
        for key in sorted(touched):
            row = rows[key]
            row["document"] = _document(row)
            changed.append(row)
        upsert(cur, self.t(SEARCH.name), SEARCH.key, changed)
        if cur.dialect == "sqlite":
            self._reindex(cur, [(row["doc"], indexed.get(row["id"]), row["document"]) for row in changed])

    def _reindex(self, cur: Cursor, changes: list[tuple[int, str | None, str]]) -> None:
        """Replace each changed row's words in the FTS5 table (contentless: the
        old words are removed by naming them, as FTS5 requires)."""
        table = self.t(WORDS)
        stale = [{"doc": doc, "old": old} for doc, old, new in changes if old is not None and old != new]
        fresh = [{"doc": doc, "new": new} for doc, old, new in changes if old != new]
        if stale:
            cur.executemany(f"INSERT INTO {table} ({table}, rowid, document) VALUES ('delete', %(doc)s, %(old)s)",
                            stale)
        if fresh:
            cur.executemany(f"INSERT INTO {table} (rowid, document) VALUES (%(doc)s, %(new)s)", fresh)


def _evolve(row: dict[str, Any], item: Positioned) -> None:
    name, event = kind(item), item.event
    if name == "Revised":
        row["content"] = _content(event)
    elif name == "Placed":
        row["supplier_reference"] = event.supplier_reference
    elif name == "Shipped":
        row["supplier_reference"] = event.supplier_reference
        row["tracking_number"] = event.tracking_number


# --- queries ------------------------------------------------------------------


def matching(dialect: str, table: str, terms: Sequence[str], params: dict[str, Any]) -> tuple[str, str]:
    """(FROM clause, WHERE fragment) selecting the rows of `table` (keyed by
    PO `id`: rm_po_summary) of the visibility clause's org (its `v_org`
    parameter) whose words start with every one of `terms` (words as `words`
    makes them; nothing else reaches the query languages). The index's
    matches are found first and the rows fetched by key, so the time grows
    with how many POs of the org match, never with the store: the planners,
    left alone, misjudge how many rows a prefix matches and chose to walk the
    org's rows in sort order instead."""
    if dialect == "postgres":
        # Terms are letters and digits only, so quoting each makes it one lexeme, taken as is.
        params["q_terms"] = " & ".join(f"'{term}'" if len(term) <= PREFIXED else f"'{term}':*" for term in terms)
        return table, (f"id = ANY(ARRAY(SELECT id FROM {SEARCH.name} WHERE org = %(v_org)s "
                       f"AND {_TSVECTOR} @@ CAST(%(q_terms)s AS tsquery)))")
    params["q_terms"] = " ".join(f'"{term}"*' for term in terms)
    # CROSS JOIN: SQLite keeps the left side as the outer loop.
    found = (f"SELECT id AS found_id FROM {SEARCH.name} WHERE org = %(v_org)s "
             f"AND doc IN (SELECT rowid FROM {WORDS} WHERE {WORDS} MATCH %(q_terms)s)")
    return f"({found}) AS found CROSS JOIN {table}", "id = found_id"
