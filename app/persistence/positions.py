"""Reading the event store in position order, as processors do (read models,
placement): many events per batch, each decoded at most once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple
from uuid import UUID


class EventRow(NamedTuple):
    """A stored event and its position: a Notification's fields, as a tuple
    (a rebuild reads one per event; tuples cost the least to make)."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


class PositionReader:
    """Mixin for Procura's recorders: `select_after`, overridden where the
    library's select_notifications costs more than it needs to."""

    def select_after(self, after: int, limit: int, stop: int | None = None) -> Sequence[Any]:
        """At most `limit` stored events after position `after` (and up to
        `stop`, when given), oldest first: objects with the fields of
        EventRow, which the application's mapper decodes."""
        return self.select_notifications(  # type: ignore[attr-defined]
            start=after, limit=limit, stop=stop, inclusive_of_start=False
        )

    def select_at(self, positions: Sequence[int]) -> Sequence[Any]:
        """The stored events at `positions` (ascending), oldest first, as
        `select_after` gives them: one read per event here, where the store
        is in memory; the SQL recorders read them in one statement."""
        found = []
        for position in positions:
            found += [row for row in self.select_after(position - 1, 1) if row.id == position]
        return found

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        """The global position of each of one aggregate's events, by version
        (one indexed query: the timeline of a PO, not the processors' path)."""
        raise NotImplementedError
