"""The bus sink: a processor of its own that publishes each public event to
JetStream before its tracking row advances (projections.runner: `publish`
runs before the transaction). A crash between the two publishes the last
batch again, and JetStream drops what it already holds by `Nats-Msg-Id`."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

from aggregates.public_events import BY_EVENT
from app.bus.jetstream import JetStream, Message
from app.bus.subjects import subject
from projections.public_events import declared_for, public_form
from projections.runner import Positioned, Processor
from projections.store import Cursor
from projections.tables import PO_TOPIC, kind, po_events, po_id

_PUBLIC_KINDS = frozenset(event for aggregate, event in BY_EVENT if aggregate == "PurchaseOrder")
#: POs whose org is remembered between batches (an org never changes); past it the memory starts afresh.
_ORGS_REMEMBERED = 100_000


class EventBusSink(Processor):
    name = "event_bus"

    def __init__(self, app: Any, bus: JetStream):
        self.app = app
        self.bus = bus
        self._orgs: dict[str, str] = {}

    def wants(self, topic: str) -> bool:
        return topic.startswith(PO_TOPIC) and topic[len(PO_TOPIC):] in _PUBLIC_KINDS

    def publish(self, batch: Sequence[Positioned]) -> None:
        messages = self.messages(batch)
        if messages:
            self.bus.publish(messages)

    def apply(self, cur: Cursor, batch: Sequence[Positioned]) -> None:
        """Nothing to write: the batch is published, and only the tracking row moves."""

    def messages(self, batch: Sequence[Positioned]) -> list[Message]:
        """The batch's public events as messages, in position order."""
        items = [i for i in po_events(batch) if declared_for(i) is not None]
        orgs = self._orgs_of(items)
        messages = []
        for item in items:
            org = orgs.get(po_id(item))
            if org is None:
                continue  # a PO whose creation is not in the store: nothing says whose it is (as the feed)
            document = public_form(declared_for(item), item.event, item.position, org)
            payload = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
            messages.append(Message(subject(org, document["type"]), document["id"], item.position, payload))
        return messages

    def _orgs_of(self, items: Sequence[Positioned]) -> dict[str, str]:
        """Each PO's org: from its creation in the batch, else remembered,
        else from its first event in the store (the sink may run ahead of
        every read model, so it reads none of them)."""
        if len(self._orgs) > _ORGS_REMEMBERED:
            self._orgs.clear()
        self._orgs.update({po_id(i): i.event.org for i in items if kind(i) == "Created"})
        for po in {po_id(i) for i in items} - set(self._orgs):
            created = self.app.recorder.select_events(uuid.UUID(po), lte=1, limit=1)
            if created:
                self._orgs[po] = self.app.mapper.to_domain_event(created[0]).org
        return self._orgs
