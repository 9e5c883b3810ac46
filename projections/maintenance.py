"""Operating read models: status, rebuild without downtime, verification.

Rebuild builds the model under scratch names (`<table>__next`, tracked as
`<name>__next`) in batches while the live tables keep answering, then switches
in ONE transaction: it holds the live tracking row (a worker's next batch
waits), applies what arrived since the scratch build, replaces the live tables
by the scratch ones and sets the live position. Readers see the old tables or
the new ones, and the live position never moves backwards.

Verify reads the live rows and position in one snapshot, builds a scratch copy
up to exactly that position, and diffs the two. It locks nothing.

`app` is the eventsourcing application (anything with `recorder` and `mapper`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from projections.runner import Follower, decoded
from projections.store import Cursor, ReadStore
from projections.tables import ReadModel, Table

REBUILD_SUFFIX = "__next"
VERIFY_SUFFIX = "__verify"
REBUILD_BATCH = 2000


@dataclass(frozen=True)
class ModelStatus:
    name: str
    position: int
    head: int
    updated_at: str | None

    @property
    def lag(self) -> int:
        """Positions behind the head (positions have gaps: an upper bound on events)."""
        return max(self.head - self.position, 0)


def status(app: Any, store: ReadStore, models: Sequence[ReadModel]) -> list[ModelStatus]:
    return statuses(app.recorder.max_notification_id() or 0, store.positions(), models)


def statuses(head: int, rows: dict[str, dict[str, Any]], models: Sequence[ReadModel]) -> list[ModelStatus]:
    """Each model's status from its tracking row in `rows` (ReadStore.positions) and the store's head."""
    return [ModelStatus(m.name, int(rows.get(m.name, {}).get("position", 0)), head,
                        rows.get(m.name, {}).get("updated_at")) for m in models]


def build_scratch(app: Any, store: ReadStore, model: ReadModel, suffix: str, *, stop: int | None = None,
                  batch_size: int = REBUILD_BATCH, on_batch: Callable[[int], None] | None = None) -> ReadModel:
    """A fresh copy of `model` under `suffix`, built from position 0 (to `stop`),
    with its indexes built once at the end rather than maintained per row."""
    scratch = model.variant(suffix)
    with store.transaction() as cur:
        scratch.drop_tables(cur)
        scratch.create_tables(cur, indexes=False)
        store.set_position(cur, scratch.name, 0)
    Follower(app, store, scratch, batch_size, stop=stop).catch_up(on_batch)
    with store.transaction() as cur:
        scratch.create_indexes(cur)
    return scratch


def drop_scratch(store: ReadStore, scratch: ReadModel) -> None:
    with store.transaction() as cur:
        scratch.drop_tables(cur)
        store.forget(cur, scratch.name)


def rebuild(app: Any, store: ReadStore, model: ReadModel, *, batch_size: int = REBUILD_BATCH,
            on_batch: Callable[[int], None] | None = None) -> int:
    """Rebuild `model` from scratch and switch to it; returns the live position."""
    scratch = build_scratch(app, store, model, REBUILD_SUFFIX, batch_size=batch_size, on_batch=on_batch)
    with store.transaction() as cur:
        store.lock(cur, model.name)
        position = store.lock(cur, scratch.name)
        while found := app.recorder.select_after(position, batch_size):
            scratch.apply(cur, decoded(app, scratch, found))
            position = found[-1].id
            if on_batch:
                on_batch(len(found))
        _promote(cur, store.dialect, live=model, scratch=scratch)
        store.set_position(cur, model.name, position)
        store.forget(cur, scratch.name)
    return position


def _promote(cur: Cursor, dialect: str, *, live: ReadModel, scratch: ReadModel) -> None:
    """Replace the live tables by the scratch ones, indexes and keys renamed
    back to the live names (so the next scratch build can reuse its names)."""
    for table in live.tables:
        live_name, scratch_name = live.t(table.name), scratch.t(table.name)
        cur.execute(f"DROP TABLE IF EXISTS {live_name}")
        cur.execute(f"ALTER TABLE {scratch_name} RENAME TO {live_name}")
        for suffix, columns in table.indexes:
            if dialect == "postgres":
                cur.execute(f"ALTER INDEX {scratch_name}__{suffix} RENAME TO {live_name}__{suffix}")
            else:  # SQLite cannot rename an index: recreate it under the live name
                cur.execute(f"DROP INDEX IF EXISTS {scratch_name}__{suffix}")
                cur.execute(f"CREATE INDEX {live_name}__{suffix} ON {live_name} ({columns})")
        if dialect == "postgres":
            cur.execute(f"ALTER TABLE {live_name} RENAME CONSTRAINT {scratch_name}_pkey TO {live_name}_pkey")
    live.promoted(cur, scratch)


@dataclass(frozen=True)
class Difference:
    """A row that differs between the live table and a fresh rebuild."""

    table: str
    key: tuple
    live: dict[str, Any] | None
    rebuilt: dict[str, Any] | None


def verify(app: Any, store: ReadStore, model: ReadModel, *, batch_size: int = REBUILD_BATCH) -> list[Difference]:
    """Rows in which the live model differs from a rebuild up to its position."""
    with store.snapshot() as cur:
        position = int((cur.execute("SELECT position FROM procura_tracking WHERE name = %(n)s",
                                    {"n": model.name}).fetchone() or {"position": 0})["position"])
        live = {t.name: model.rows(cur, t) for t in model.tables}
    scratch = build_scratch(app, store, model, VERIFY_SUFFIX, stop=position, batch_size=batch_size)
    try:
        with store.snapshot() as cur:
            rebuilt = {t.name: scratch.rows(cur, t) for t in model.tables}
    finally:
        drop_scratch(store, scratch)
    return [d for t in model.tables for d in _diff(t, live[t.name], rebuilt[t.name])]


def _diff(table: Table, live: list[dict], rebuilt: list[dict]) -> list[Difference]:
    def keyed(rows):
        return {tuple(r[k] for k in table.key): r for r in rows}

    a, b = keyed(live), keyed(rebuilt)
    return [Difference(table.name, key, a.get(key), b.get(key))
            for key in sorted(a.keys() | b.keys(), key=repr) if a.get(key) != b.get(key)]
