"""The Acme Supplies adapter: the only module that knows Acme's shapes
(cents, `clientRef`, ACK/QUEUED/NACK/SHIPPED, DUPLICATE, its callbacks).

It translates them into the port's terms (see `port`); nothing Acme-shaped
leaves this module.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

import requests
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.jsonbytes import nesting_exceeds
from app.suppliers.port import (
    CallbackMalformed,
    CallbackNotice,
    CallbackRejected,
    OrderAccepted,
    OrderDeclined,
    OrderPlaced,
    OrderQueued,
    OrderRefused,
    OrderRequest,
    OrderShipped,
    PlacementAnswer,
    Supplier,
    SupplierUnavailable,
    UnknownNotice,
)
from app.telemetry import tracing

SUPPLIER_ID = "acme"
ORDERS_PATH = "/api/v2/orders"

#: Acme's decline codes, as a buyer should read them.
DECLINE_REASONS = {
    "OUT_OF_STOCK": "Acme declined the order: an item is out of stock.",
    "CREDIT": "Acme declined the order: the account's credit limit is exhausted.",
}


def cents(amount: Decimal) -> int:
    """Acme's money: integer cents (amounts have at most 2 decimals)."""
    return int((amount * 100).to_integral_value())


def refusal_reason(body: Mapping, currency: str) -> str:
    """A sentence for Acme's 422 answer."""
    if body.get("err") == "BAD_ITEM":
        return f"Acme refused the order: it does not sell item {body.get('code', '(unnamed)')}."
    if body.get("err") == "CCY":
        return f"Acme refused the order: it does not accept orders in {currency}."
    return f"Acme refused the order ({body.get('err', 'no reason given')})."


def _json(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: requests.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


class AcmeSupplier(Supplier):
    supplier_id = SUPPLIER_ID

    def __init__(self, base_url: str, api_key: str, timeout: float, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.session = session or requests.Session()

    # --- placing ------------------------------------------------------------

    def place(self, order: OrderRequest, key: str) -> PlacementAnswer:
        body = {
            "clientRef": str(order.po_id),
            "ccy": order.currency,
            "deliverBy": order.needed_by.isoformat(),
            "items": [{"code": line.sku, "qty": line.quantity, "priceCents": cents(line.unit_price)}
                      for line in order.lines],
        }
        response = self._call("POST", ORDERS_PATH, json=body, headers={"X-Request-Key": key}, sends_order=True)
        answer = _json(response)
        if response.status_code == 200 and answer.get("state") == "ACK" and answer.get("orderNo"):
            return OrderPlaced(str(answer["orderNo"]))
        if response.status_code == 202 and answer.get("state") == "QUEUED":
            return OrderQueued()
        if response.status_code == 409 and answer.get("err") == "DUPLICATE":
            # Our key was used before: the order exists; learn its state.
            return self._existing(order.po_id, answer.get("orderNo"))
        if response.status_code == 422:
            return OrderRefused(refusal_reason(answer, order.currency))
        raise self._trouble(response, maybe_created=True)

    def _existing(self, po_id: UUID, order_no: str | None) -> PlacementAnswer:
        found = self.find(po_id)
        if found is None and order_no:
            # The lookup does not know it yet; the duplicate answer named it.
            return OrderPlaced(str(order_no))
        if found is None:
            raise SupplierUnavailable("Acme reported a duplicate but does not list the order yet",
                                      maybe_created=True)
        return found

    # --- looking up ---------------------------------------------------------------

    def find(self, po_id: UUID) -> PlacementAnswer | None:
        response = self._call("GET", ORDERS_PATH, params={"clientRef": str(po_id)})
        if response.status_code != 200:
            raise self._trouble(response, maybe_created=True)
        orders = [o for o in _json(response).get("orders", []) if isinstance(o, dict)]
        live = [o for o in orders if o.get("state") in ("ACK", "SHIPPED", "QUEUED")]
        decided = [o for o in live if o.get("state") != "QUEUED"]
        if decided:
            return OrderPlaced(str(decided[0]["orderNo"]))
        if live:
            return OrderQueued()
        if orders:
            return OrderRefused("Acme declined the order.")
        return None

    # --- transport ----------------------------------------------------------------

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        """The request, in a client span whose context Acme receives as `traceparent` when tracing is on."""
        with tracing.span(f"{method} acme {path}", kind="client",
                          attributes={"http.request.method": method, "server.address": self.base_url}):
            current = tracing.traceparent()
            if current is not None:
                kwargs["headers"] = {**kwargs.get("headers", {}), "traceparent": current}
            response = self._send(method, path, **kwargs)
            tracing.set_attributes(**{"http.response.status_code": response.status_code})
            return response

    def _send(self, method: str, path: str, *, sends_order: bool = False, **kwargs) -> requests.Response:
        headers = {"X-Api-Key": self.api_key, **kwargs.pop("headers", {})}
        try:
            return self.session.request(method, self.base_url + path, headers=headers,
                                        timeout=self.timeout, **kwargs)
        except requests.ConnectionError as error:
            # A refused connection sent nothing; a reset one may have.
            refused = "refused" in str(error).lower()
            raise SupplierUnavailable(f"Acme cannot be reached ({type(error).__name__})",
                                      maybe_created=sends_order and not refused) from error
        except requests.Timeout as error:
            raise SupplierUnavailable(f"Acme did not answer within {self.timeout:g}s",
                                      maybe_created=sends_order, timed_out=True) from error

    @staticmethod
    def _trouble(response: requests.Response, *, maybe_created: bool) -> SupplierUnavailable:
        if response.status_code == 429:
            return SupplierUnavailable("Acme asked us to slow down", retry_after=_retry_after(response),
                                       counts_as_failure=False)
        return SupplierUnavailable(f"Acme answered {response.status_code}", retry_after=_retry_after(response),
                                   maybe_created=maybe_created)

    # --- callbacks -------------------------------------------------------------------

    def read_callback(self, raw: bytes, headers: Mapping[str, str], secret: str) -> CallbackNotice:
        try:
            Webhook(secret).verify(raw, dict(headers), json_parse=False)
        except (WebhookVerificationError, ValueError, UnicodeDecodeError) as error:
            raise CallbackRejected(str(error) or type(error).__name__) from error
        try:
            body = json.loads(raw)
            if nesting_exceeds(raw, body):
                raise ValueError("nested too deeply")
            kind = body["type"]
            reference = str(body["clientRef"])
        except (ValueError, KeyError, TypeError, RecursionError) as error:
            raise CallbackMalformed("the callback body is not an Acme order event") from error
        delivery_id = {k.lower(): v for k, v in headers.items()}["webhook-id"]
        return CallbackNotice(delivery_id, reference, _moment(body.get("at")), _notice(kind, body))


def _moment(at) -> datetime | None:
    try:
        return datetime.fromtimestamp(float(at), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _notice(kind: str, body: Mapping):
    try:
        if kind == "order.accepted":
            return OrderAccepted(str(body["orderNo"]))
        if kind == "order.declined":
            code = str(body.get("reasonCode", ""))
            return OrderDeclined(DECLINE_REASONS.get(code, f"Acme declined the order ({code or 'no reason given'})."))
        if kind == "order.shipped":
            return OrderShipped(str(body["orderNo"]), str(body["trackingNo"]))
    except KeyError as error:
        raise CallbackMalformed(f"{kind} without {error.args[0]}") from error
    return UnknownNotice(str(kind))


def build(settings) -> AcmeSupplier:
    """The adapter configured by `settings` (PROCURA_SUPPLIER_URL, ..._API_KEY)."""
    return AcmeSupplier(settings.supplier_url, settings.supplier_api_key,
                        timeout=settings.placement.call_timeout)
