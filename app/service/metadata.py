"""Event metadata (actor, command id, correlation, causation, occurred_at).

Events have no metadata slot, so a Mapper adds a `meta` member to every
stored event from a context variable that the command service sets for the
duration of one command. Reading a stored event back puts `meta` on the event
object, where history and trace views find it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from eventsourcing.persistence import Mapper, StoredEvent

from app.telemetry import tracing


@dataclass(frozen=True)
class EventMetadata:
    actor: str
    command_id: str | None
    correlation_id: str
    causation_id: str | None

    def as_dict(self) -> dict[str, Any]:
        # Written out: dataclasses.asdict recurses and deep-copies, a cost paid
        # on every event stored.
        return {"actor": self.actor, "command_id": self.command_id,
                "correlation_id": self.correlation_id, "causation_id": self.causation_id}


_current: ContextVar[EventMetadata | None] = ContextVar("procura_event_metadata", default=None)


@contextmanager
def recording_as(metadata: EventMetadata) -> Iterator[None]:
    """Every event stored inside this block carries `metadata`."""
    token = _current.set(metadata)
    try:
        yield
    finally:
        _current.reset(token)


def rfc3339(moment) -> str:
    """UTC times as the API writes them: RFC 3339 with a `Z`."""
    return moment.isoformat().replace("+00:00", "Z")


def traceparent_of(domain_event: Any) -> str | None:
    """The trace context the event was stored under (None without tracing)."""
    meta = getattr(domain_event, "meta", None)
    return meta.get("traceparent") if isinstance(meta, dict) else None


def metadata_of(domain_event: Any) -> dict[str, Any]:
    """The metadata stored with an event (empty for events stored without)."""
    return dict(getattr(domain_event, "meta", None) or {})


class MetadataMapper(Mapper):
    """A Mapper that stamps the current EventMetadata onto each stored event."""

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        current = _current.get()
        if current is not None and "meta" not in vars(domain_event):
            meta = current.as_dict()
            meta["occurred_at"] = rfc3339(domain_event.timestamp)
            traceparent = tracing.traceparent()
            if traceparent is not None:  # where the workers continue the trace (docs/operators/tracing.md)
                meta["traceparent"] = traceparent
            object.__setattr__(domain_event, "meta", meta)
        return super().to_stored_event(domain_event)
