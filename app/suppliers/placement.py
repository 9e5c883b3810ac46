"""The placement process: from a PlacementRequested event to `placed` or
`placement_failed`, exactly once, whatever times out, retries or restarts.

1. `PlacementRequests` (a Processor) turns each PlacementRequested event into
   an outbox row, in the transaction that advances its tracking position.
2. `PlacementExecutor` threads claim due rows with a lease, call the supplier
   OUTSIDE any transaction with the operation id as the supplier's
   idempotency key, and save the outcome on the PO and the Operation in one
   `app.save` (see `outcomes.settle`); then the row is released.

Why at most one live order per PO: every call for one operation carries the
same key (the supplier de-duplicates), and whenever an order may exist that we
do not know of (a timeout, a 5xx, a crashed worker, an earlier placement of
the same PO) the executor looks the PO up at the supplier before sending.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from eventsourcing.persistence import IntegrityError

from aggregates.errors import OperationFinished
from aggregates.purchase_order import PurchaseOrder
from aggregates.transitions import Status
from app.config import PlacementTuning
from app.polling import Pollers
from app.service.metadata import EventMetadata, recording_as, traceparent_of
from app.suppliers import outcomes
from app.suppliers.breaker import CircuitBreaker
from app.suppliers.outbox import QUEUED, Outbox, Placement, record_request
from app.suppliers.port import (
    OrderPlaced,
    OrderQueued,
    OrderRefused,
    PlacementAnswer,
    Supplier,
    SupplierUnavailable,
    order_for,
)
from app.suppliers.retry import RetryPolicy
from app.telemetry import tracing
from app.telemetry.logcontext import log_fields
from app.telemetry.metrics import count_placement, report_circuit
from projections.runner import Positioned, Processor
from projections.store import ReadStore

log = logging.getLogger("procura.placement")
WORKER = "placement-worker"
#: How a supplier's answer is counted in procura_placement_outcomes_total.
_ANSWER_OUTCOMES = {OrderPlaced: "placed", OrderQueued: "queued", OrderRefused: "refused"}


class PlacementRequests(Processor):
    """Follows the event store; writes one outbox row per PlacementRequested."""

    name = "placement_requests"
    shares_transaction = True  # one outbox row per event: quick SQL, fed with the read models

    def apply(self, cur, batch: Sequence[Positioned]) -> None:
        for item in batch:
            if isinstance(item.event, PurchaseOrder.PlacementRequested):
                record_request(cur, item.event.operation_id, item.event.originator_id,
                               item.event.originator_version)

    # clear(): deliberately keeps the rows. Replaying from 0 re-inserts nothing
    # (ON CONFLICT DO NOTHING), so a rebuild never places an order twice.


@dataclass
class PlacementExecutor:
    """Claims outbox rows and drives each placement to its outcome (module doc)."""

    app: object
    store: ReadStore
    suppliers: dict[str, Supplier]
    tuning: PlacementTuning
    idle_wait: float = 0.05

    def __post_init__(self):
        self.outbox = Outbox(self.store)
        self.policy = RetryPolicy(self.tuning.max_attempts, self.tuning.backoff_base, self.tuning.backoff_cap)
        self.breakers = {s: CircuitBreaker(self.tuning.circuit_threshold, self.tuning.circuit_cooldown)
                         for s in self.suppliers}
        self._pollers = Pollers("procura-placement", self.tuning.threads, self.run_once, self.idle_wait)

    # --- running ------------------------------------------------------------

    def start(self) -> PlacementExecutor:
        self.report_circuits()
        self._pollers.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming; each thread settles the placement in hand first."""
        self._pollers.stop(timeout)

    def run_once(self) -> bool:
        """Process one due placement; False when none was due.

        Every log line written while processing carries the operation id (the
        correlation id of the events the placement writes) and the PO id."""
        self.report_circuits()  # each poll: an open breaker turns half-open by the clock alone
        placement = self.outbox.claim(self.tuning.lease)
        if placement is None:
            return False
        with (log_fields(operation_id=str(placement.operation_id), correlation_id=str(placement.operation_id),
                         po_id=str(placement.po_id)),
              tracing.span("place order", parent=self._requested_under(placement),
                           attributes={"procura.po_id": str(placement.po_id),
                                       "procura.operation_id": str(placement.operation_id)})):
            try:
                self.process(placement)
            except Exception:
                # Leave the lease to expire: the next claim treats the row as uncertain.
                log.exception("placement %s failed unexpectedly", placement.operation_id)
            finally:
                self.report_circuits()
        return True

    def _requested_under(self, placement: Placement) -> str | None:
        """The trace context of the command that asked for the placement, so
        the placement joins its trace (only looked up when tracing is on)."""
        if not tracing.enabled():
            return None
        for event in self.app.stored_events(placement.po_id, after=placement.requested_version - 1):
            return traceparent_of(event) if event.originator_version == placement.requested_version else None
        return None

    def report_circuits(self) -> None:
        """Publish every supplier's breaker state (procura_supplier_circuit_state)."""
        for supplier_id, breaker in self.breakers.items():
            report_circuit(supplier_id, breaker.state)

    @staticmethod
    def _outcome(supplier_id: str, outcome: str, detail: str = "") -> None:
        """Count one placement outcome and log it (with the context's ids)."""
        count_placement(supplier_id, outcome)
        log.info("placement %s%s", outcome, f": {detail}" if detail else "",
                 extra={"fields": {"supplier": supplier_id, "outcome": outcome}})

    # --- one placement ----------------------------------------------------------

    def process(self, placement: Placement) -> None:
        po = self.app.purchase_order(placement.po_id)
        op = self.app.operation(placement.operation_id)
        if po is None or op is None or op.is_done or po.operation_id != op.id or po.status != Status.PLACING:
            self.outbox.finish(placement)  # settled elsewhere (a callback), or superseded
            return
        supplier = self.suppliers.get(po.supplier_id)
        if supplier is None:
            self._fail(placement, po.supplier_id, outcomes.UNAVAILABLE,
                       f"Procura has no connection to supplier {po.supplier_id!r}; ask an administrator.")
            return
        if placement.state != QUEUED and self._past_deadline(placement):
            self._give_up(placement, supplier, "the placement deadline passed")
            return
        breaker = self.breakers[po.supplier_id]
        if not breaker.allow():
            self._outcome(po.supplier_id, "circuit_open")
            self.outbox.defer(placement, max(breaker.retry_in(), self.policy.base))
            return
        if placement.state != QUEUED and not self._start_attempt(placement):
            breaker.released()
            return
        try:
            answer = self._ask(supplier, po, placement)
        except SupplierUnavailable as trouble:
            breaker.failed() if trouble.counts_as_failure else breaker.released()
            if trouble.timed_out:
                self._outcome(supplier.supplier_id, "timed_out", trouble.detail)
            self._after_trouble(placement, supplier, trouble)
            return
        breaker.succeeded()
        self._settle(placement, answer, supplier.supplier_id)

    def _ask(self, supplier: Supplier, po, placement: Placement) -> PlacementAnswer:
        if placement.state == QUEUED:
            return supplier.find(po.id) or OrderQueued()
        if placement.uncertain:
            found = supplier.find(po.id)
            if isinstance(found, OrderPlaced | OrderQueued):
                return found  # a live order exists: adopt it, never send a second
        return supplier.place(order_for(po), key=str(placement.operation_id))

    def _start_attempt(self, placement: Placement) -> bool:
        try:
            with self._recording(placement, WORKER):
                op = self.app.operation(placement.operation_id)
                op.start_attempt()
                self.app.save(op)
            return True
        except OperationFinished:
            self.outbox.finish(placement)
        except IntegrityError:
            self.outbox.defer(placement, 0.0)  # a callback moved it meanwhile: look again
        return False

    def _after_trouble(self, placement: Placement, supplier: Supplier, trouble: SupplierUnavailable) -> None:
        if placement.state == QUEUED:
            self.outbox.await_decision(placement, self.tuning.queued_recheck)
            return
        attempts = placement.attempts + 1
        uncertain = placement.uncertain or trouble.maybe_created
        if self.policy.exhausted(attempts) or self._past_deadline(placement):
            self._give_up(placement, supplier, f"{attempts} attempts failed (last: {trouble.detail})",
                          uncertain=uncertain)
            return
        self._outcome(supplier.supplier_id, "retried", trouble.detail)
        self.outbox.retry(placement, attempts=attempts, delay=self.policy.delay(attempts, trouble.retry_after),
                          uncertain=uncertain, error=trouble.detail)

    def _give_up(self, placement: Placement, supplier: Supplier, why: str, uncertain: bool = True) -> None:
        """Fail the placement, unless a last look-up finds the order after all."""
        if uncertain:
            try:
                found = supplier.find(placement.po_id)
            except SupplierUnavailable:
                found = None
            if isinstance(found, OrderPlaced | OrderQueued):
                self._settle(placement, found, supplier.supplier_id)
                return
        self._fail(placement, supplier.supplier_id, outcomes.UNAVAILABLE,
                   f"The supplier could not take the order: {why}. Place it again later, or cancel it.")

    def _fail(self, placement: Placement, supplier_id: str, slug: str, reason: str) -> None:
        with self._recording(placement, WORKER):
            outcomes.settle(self.app, placement.po_id, lambda po, op: outcomes.failed(po, op, slug, reason))
        self._outcome(supplier_id, "failed", reason)
        self.outbox.finish(placement)

    def _settle(self, placement: Placement, answer: PlacementAnswer, supplier_id: str) -> None:
        with self._recording(placement, f"supplier:{supplier_id}"):
            outcomes.settle(self.app, placement.po_id, lambda po, op: outcomes.decide_answer(po, op, answer))
        self._outcome(supplier_id, _ANSWER_OUTCOMES[type(answer)])
        if isinstance(answer, OrderQueued):
            self.outbox.await_decision(placement, self.tuning.queued_recheck)
        else:
            self.outbox.finish(placement)

    def _past_deadline(self, placement: Placement) -> bool:
        return (datetime.now(UTC) - placement.created_at).total_seconds() > self.tuning.deadline

    @staticmethod
    def _recording(placement: Placement, actor: str):
        return recording_as(EventMetadata(actor=actor, command_id=None, correlation_id=str(placement.operation_id),
                                          causation_id=f"{placement.po_id}@{placement.requested_version}"))
