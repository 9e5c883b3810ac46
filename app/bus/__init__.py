"""The message-bus sink: the worker publishes every public event once to NATS
JetStream (docs/integrators/event-bus.md)."""

from __future__ import annotations

from typing import Any

from app.config import Settings
from projections.runner import Processor


def sinks(settings: Settings, app: Any) -> list[Processor]:
    """The bus sink when PROCURA_EVENT_BUS_URL is set, else nothing. It
    connects on its first batch: a process that never runs it never connects."""
    if settings.event_bus is None:
        return []
    from app.bus.jetstream import JetStream
    from app.bus.sink import EventBusSink

    return [EventBusSink(app, JetStream(settings.event_bus))]
