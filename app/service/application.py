"""The Procura eventsourcing Application: loading, saving and reading POs and
operations. Command orchestration (idempotency, authorization, versions)
lives in `app.service.command_service`; this class only knows the event store."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import Recording, Transcoder

from aggregates.operation import Operation
from aggregates.purchase_order import PurchaseOrder
from app.config import Settings
from app.persistence import library_compat
from app.persistence.transcoder import FastDecodingTranscoder


class Procura(Application):
    """One event store (table `procura_events`) for POs and operations."""

    name = "Procura"

    def __init__(self, settings: Settings):
        self.settings = settings
        env = settings.persistence_env()
        if settings.snapshot_interval:
            # Long streams load from the latest snapshot plus the events after it.
            self.snapshotting_intervals = {PurchaseOrder: settings.snapshot_interval}
            env["IS_SNAPSHOTTING_ENABLED"] = "y"
        super().__init__(env=env)

    def construct_transcoder(self) -> Transcoder:
        # The library's JSON format, decoded faster (loads and rebuilds decode a lot).
        transcoder = FastDecodingTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording]:
        """The library's save (record, snapshot, notify), with cheaper event
        collection (`app.persistence.library_compat.save`)."""
        return library_compat.save(self, *objs, **kwargs)

    def find(self, kind: type, aggregate_id: UUID, version: int | None = None) -> Any | None:
        """The aggregate of `kind` with that id (as at `version`), or None."""
        try:
            aggregate = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

    def purchase_order(self, po_id: UUID, version: int | None = None) -> PurchaseOrder | None:
        return self.find(PurchaseOrder, po_id, version)

    def operation(self, op_id: UUID) -> Operation | None:
        return self.find(Operation, op_id)

    def stored_events(self, aggregate_id: UUID, after: int | None = None) -> Iterable[Any]:
        """The aggregate's domain events, oldest first, after version `after`."""
        return self.events.get(aggregate_id, gt=after)

    def head_position(self) -> int:
        """The highest global position in the store (0 when empty)."""
        return self.recorder.max_notification_id() or 0
