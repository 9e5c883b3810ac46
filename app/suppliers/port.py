"""The supplier port: what Procura needs from any supplier, in Procura's terms.

An adapter module (one per partner, see `registry`) implements `Supplier`.
Nothing here knows a partner's shapes: money is Decimal, ids are Procura's,
reasons are sentences a buyer understands.

Contracts every adapter keeps:

* `place(order, key)` sends the order with `key` as the partner's idempotency
  key and returns OrderPlaced, OrderQueued or OrderRefused. Partner trouble
  (5xx, throttling, timeouts, connection errors) raises SupplierUnavailable;
  its `maybe_created` says whether the order might exist anyway.
* `find(po_id)` returns what the partner knows about the PO's live (not
  declined) order, OrderRefused when it only has declined ones, or None.
* `read_callback(raw, headers, secret)` verifies the signature on the raw
  bytes and returns a CallbackNotice; it raises CallbackRejected when the
  signature, secret or timestamp is wrong and CallbackMalformed when a
  correctly signed body cannot be understood.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

# --- what Procura sends -------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class OrderRequest:
    """One PO as a supplier must receive it."""

    po_id: UUID
    currency: str
    needed_by: date
    lines: tuple[OrderLine, ...]


def order_for(po) -> OrderRequest:
    """The order request for a PurchaseOrder aggregate."""
    lines = tuple(OrderLine(line.sku, line.quantity, line.unit_price) for line in po.lines)
    return OrderRequest(po_id=po.id, currency=po.currency, needed_by=po.needed_by, lines=lines)


# --- what a supplier answers ----------------------------------------------------


@dataclass(frozen=True)
class OrderPlaced:
    """The supplier accepted the order; `supplier_reference` is its order number."""

    supplier_reference: str


@dataclass(frozen=True)
class OrderQueued:
    """The supplier will decide later and say so in a callback."""


@dataclass(frozen=True)
class OrderRefused:
    """The supplier refuses the order; trying again will not help."""

    reason: str


PlacementAnswer = OrderPlaced | OrderQueued | OrderRefused


class SupplierUnavailable(Exception):
    """The supplier did not give a usable answer; trying later may help.

    `retry_after` (seconds) is the supplier's own hint, if it gave one;
    `maybe_created` is True when the order may exist despite the failure (a
    timeout, or a 5xx after the request was sent); `timed_out` is True when
    the call got no answer in time.
    """

    def __init__(self, detail: str, *, retry_after: float | None = None, maybe_created: bool = False,
                 counts_as_failure: bool = True, timed_out: bool = False):
        super().__init__(detail)
        self.detail = detail
        self.timed_out = timed_out
        self.retry_after = retry_after
        self.maybe_created = maybe_created
        #: Throttling is the supplier working as designed: it does not open the circuit.
        self.counts_as_failure = counts_as_failure


# --- what a supplier tells us later -------------------------------------------------


@dataclass(frozen=True)
class OrderAccepted:
    supplier_reference: str


@dataclass(frozen=True)
class OrderDeclined:
    reason: str


@dataclass(frozen=True)
class OrderShipped:
    supplier_reference: str
    tracking_number: str


@dataclass(frozen=True)
class UnknownNotice:
    """A correctly signed callback of a kind Procura does not know."""

    kind: str


Notice = OrderAccepted | OrderDeclined | OrderShipped | UnknownNotice


@dataclass(frozen=True)
class CallbackNotice:
    """One verified callback: its delivery id (the de-duplication key), the
    PO reference the supplier quoted (not necessarily a PO that exists), when
    the supplier says it happened, and what happened."""

    delivery_id: str
    po_reference: str
    occurred_at: datetime | None
    notice: Notice


class CallbackRejected(Exception):
    """Signature, secret or timestamp wrong: the callback is not from the supplier."""


class CallbackMalformed(Exception):
    """Correctly signed, but the body cannot be understood."""


class CallbackHeaderInvalid(CallbackMalformed):
    """A header no callback may carry (whether or not it is signed): `header` names it."""

    def __init__(self, header: str, detail: str):
        super().__init__(detail)
        self.header = header


class Supplier(ABC):
    """The port (see module doc)."""

    supplier_id: str

    @abstractmethod
    def place(self, order: OrderRequest, key: str) -> PlacementAnswer: ...

    @abstractmethod
    def find(self, po_id: UUID) -> PlacementAnswer | None: ...

    @abstractmethod
    def read_callback(self, raw: bytes, headers: Mapping[str, str], secret: str) -> CallbackNotice: ...
