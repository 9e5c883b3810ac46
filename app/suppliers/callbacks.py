"""Supplier callbacks as Procura sees them: verify, de-duplicate, apply.

Each delivery id (Standard Webhooks `webhook-id`) is stored as a command
record of org `supplier:<id>`, principal `webhook`, in the SAME transaction as
the events it causes, so a delivery is applied at most once and is durable
before the supplier hears 2xx. A callback about an unknown PO is recorded
the same way (answered 202) and listed by `unmatched_callbacks`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from app.persistence.command_records import CommandAlreadyRecorded, CommandRecord, callback_org
from app.service.metadata import EventMetadata, metadata_of, recording_as, rfc3339, traceparent_of
from app.suppliers import outcomes
from app.suppliers.port import CallbackHeaderInvalid, CallbackNotice, CallbackRejected, Supplier
from app.telemetry import tracing

PRINCIPAL = "webhook"
APPLIED, IGNORED, DUPLICATE, UNMATCHED = "applied", "ignored", "duplicate", "unmatched"
#: Delivery ids are kept at least this long (`procura purge-commands` honours it).
RETENTION_HOURS = 72
#: A `webhook-id` is stored as a command-record key, in the primary-key index
#: (at most 2,704 bytes a row in PostgreSQL): 1-255 printable ASCII characters,
#: as an Idempotency-Key. Standard Webhooks ids (`msg_` and a few dozen) fit easily.
MAX_DELIVERY_ID = 255
_DELIVERY_ID = re.compile(rf"^[\x20-\x7e]{{1,{MAX_DELIVERY_ID}}}$")


@dataclass(frozen=True)
class Receipt:
    """What Procura did with one callback; `status` is the HTTP answer."""

    outcome: str

    @property
    def status(self) -> int:
        return 202 if self.outcome == UNMATCHED else 200


class CallbackService:
    def __init__(self, app, suppliers: dict[str, Supplier], secrets: dict[str, str]):
        self.app = app
        self.suppliers = suppliers
        self.secrets = dict(secrets)

    def receive(self, supplier_id: str, raw: bytes, headers, request_id: str) -> Receipt:
        """Verify and apply one callback. Raises CallbackRejected (unknown
        supplier, no secret, bad signature, stale timestamp) or CallbackMalformed."""
        _check_delivery_id(headers)
        supplier = self.suppliers.get(supplier_id)
        secret = self.secrets.get(supplier_id)
        if supplier is None or not secret:
            raise CallbackRejected(f"no callbacks are accepted for supplier {supplier_id!r}")
        notice = supplier.read_callback(raw, headers, secret)
        org = callback_org(supplier_id)
        if self.app.recorder.select_command(org, PRINCIPAL, notice.delivery_id) is not None:
            return Receipt(DUPLICATE)
        po_id = self._known_po(supplier_id, notice.po_reference)
        try:
            if po_id is None:
                self.app.save(command=self._record(org, notice, raw, UNMATCHED))
                return Receipt(UNMATCHED)
            with (recording_as(EventMetadata(actor=org, command_id=notice.delivery_id,
                                             correlation_id=self._correlation(po_id, request_id),
                                             causation_id=request_id)),
                  tracing.span("apply supplier callback", links=[self._placed_under(po_id)],
                               attributes={"procura.po_id": str(po_id), "procura.notice": type(notice.notice).__name__})):
                changed = outcomes.settle(
                    self.app, po_id,
                    lambda po, op: outcomes.decide_notice(po, op, notice.notice, notice.occurred_at),
                    command=lambda changed: self._record(org, notice, raw, APPLIED if changed else IGNORED),
                )
        except CommandAlreadyRecorded:
            return Receipt(DUPLICATE)  # the same delivery, applied by a concurrent request
        return Receipt(APPLIED if changed else IGNORED)

    def _known_po(self, supplier_id: str, reference: str) -> UUID | None:
        try:
            po_id = UUID(reference)
        except ValueError:
            return None
        po = self.app.purchase_order(po_id)
        return po_id if po is not None and po.supplier_id == supplier_id else None

    def _placed_under(self, po_id: UUID) -> str | None:
        """The trace context of the PO's latest placement (its events'), which
        the callback's span links to; looked up only when tracing is on."""
        if not tracing.enabled():
            return None
        # The placement worker's events are caused by "<po id>@<version placed at>".
        placement = f"{po_id}@"
        placed = [traceparent_of(e) for e in self.app.stored_events(po_id)
                  if str(metadata_of(e).get("causation_id")).startswith(placement) and traceparent_of(e)]
        return placed[-1] if placed else None

    def _correlation(self, po_id: UUID, fallback: str) -> str:
        po = self.app.purchase_order(po_id)
        return str(po.operation_id) if po is not None and po.operation_id else fallback

    @staticmethod
    def _record(org: str, notice: CallbackNotice, raw: bytes, outcome: str) -> CommandRecord:
        summary = {
            "delivery_id": notice.delivery_id,
            "purchase_order_reference": notice.po_reference,
            "notice": type(notice.notice).__name__,
            "occurred_at": rfc3339(notice.occurred_at) if notice.occurred_at else None,
            "received_at": rfc3339(datetime.now(UTC)),
            "outcome": outcome,
        }
        return CommandRecord(org=org, principal=PRINCIPAL, key=notice.delivery_id,
                             fingerprint=hashlib.sha256(raw).hexdigest(),
                             status=Receipt(outcome).status, headers={}, body=json.dumps(summary).encode(),
                             created_at=datetime.now(UTC))


def _check_delivery_id(headers) -> None:
    """Refuse a `webhook-id` no record can hold before the signature is checked:
    it costs nothing, reveals nothing about secrets or suppliers, and no
    signature could make it storable. A missing one fails the signature check (401)."""
    value = next((v for k, v in headers.items() if k.lower() == "webhook-id"), None)
    if value is not None and not _DELIVERY_ID.match(value):
        raise CallbackHeaderInvalid("webhook-id", f"webhook-id must be 1-{MAX_DELIVERY_ID} printable ASCII "
                                                  "characters; nothing was recorded.")


def unmatched_callbacks(app, supplier_id: str | None = None) -> list[dict]:
    """Callbacks that named no known PO, oldest first, as operators see them."""
    suppliers = [supplier_id] if supplier_id else list(app.settings.suppliers)
    found = []
    for name in suppliers:
        for record in app.recorder.select_commands(callback_org(name), PRINCIPAL):
            if record.status == 202:
                found.append({"supplier_id": name, **json.loads(record.body)})
    return sorted(found, key=lambda entry: entry["received_at"])
