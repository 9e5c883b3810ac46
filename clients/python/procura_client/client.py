"""`Procura`: the generated client with the contract's promises as defaults.
Each command is one intent: it gets its own Idempotency-Key (reused by every
retry of it, procura_client/retries.py), its If-Match from the PO it was
given, and its refusal as a typed exception (procura_client/errors.py).
Reads of the read models wait for the caller's own writes (`min_position`)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any, TypeVar
from uuid import UUID

import httpx

from ._generated.api.commands import (
    approve_purchase_order,
    cancel_purchase_order,
    create_purchase_order,
    place_purchase_order,
    receive_purchase_order,
    reject_purchase_order,
    reopen_purchase_order,
    request_changes_purchase_order,
    revise_purchase_order,
    submit_purchase_order,
    withdraw_purchase_order,
)
from ._generated.api.operations import get_operation
from ._generated.api.purchase_orders import get_purchase_order, get_purchase_order_history
from ._generated.api.read_models import list_approval_queue, list_purchase_orders
from ._generated.client import AuthenticatedClient
from ._generated.models.comment import Comment
from ._generated.models.draft import Draft
from ._generated.models.history_out import HistoryOut
from ._generated.models.list_purchase_orders_status_item import ListPurchaseOrdersStatusItem
from ._generated.models.operation_out import OperationOut
from ._generated.models.order_page_out import OrderPageOut
from ._generated.models.placement_out import PlacementOut
from ._generated.models.problem import Problem
from ._generated.models.purchase_order_out import PurchaseOrderOut
from ._generated.models.queue_page_out import QueuePageOut
from ._generated.models.reason import Reason
from ._generated.models.withdrawal import Withdrawal
from ._generated.types import UNSET, Response, Unset
from .errors import Conflict, OperationFailed, error_for
from .retries import RetryingTransport, RetryPolicy

T = TypeVar("T")
Answer = TypeVar("Answer")
DraftLike = Draft | Mapping[str, Any]


class UnexpectedAnswer(Exception):
    """An answer the document does not describe (neither its result nor a problem)."""


class Procura:
    """A client for one caller (one bearer token) of the Procura at `base_url`.

    `retry` says how often and how long transient failures are retried;
    `transport` replaces httpx's own (a test's, or one with a proxy)."""

    def __init__(self, base_url: str, token: str, *, retry: RetryPolicy | None = None, timeout: float = 30.0,
                 transport: httpx.BaseTransport | None = None):
        self.retry = retry or RetryPolicy()
        self.api = AuthenticatedClient(
            base_url=base_url, token=token, timeout=httpx.Timeout(timeout), raise_on_unexpected_status=True,
            httpx_args={"transport": RetryingTransport(self.retry, transport)})
        #: The highest event position this client's writes and reads have seen:
        #: read-model reads wait for it (`min_position`), so they never go back.
        self.position = 0

    def close(self) -> None:
        self.api.get_httpx_client().close()

    def __enter__(self) -> Procura:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Commands: one intent each.

    def create(self, draft: DraftLike, *, idempotency_key: str | None = None) -> PurchaseOrderOut:
        return self._po(create_purchase_order.sync_detailed(
            client=self.api, body=_draft(draft), idempotency_key=_key(idempotency_key)))

    def revise(self, po: PurchaseOrderOut, draft: DraftLike, *, idempotency_key: str | None = None) -> PurchaseOrderOut:
        return self._po(revise_purchase_order.sync_detailed(
            po.id, client=self.api, body=_draft(draft), idempotency_key=_key(idempotency_key), if_match=_etag(po)))

    def submit(self, po: PurchaseOrderOut, *, idempotency_key: str | None = None) -> PurchaseOrderOut:
        return self._po(submit_purchase_order.sync_detailed(
            po.id, client=self.api, idempotency_key=_key(idempotency_key), if_match=_etag(po)))

    def approve(self, po: PurchaseOrderOut, *, idempotency_key: str | None = None) -> PurchaseOrderOut:
        return self._po(approve_purchase_order.sync_detailed(
            po.id, client=self.api, idempotency_key=_key(idempotency_key), if_match=_etag(po)))

    def reject(self, po: PurchaseOrderOut, reason: str, *, idempotency_key: str | None = None) -> PurchaseOrderOut:
        return self._po(reject_purchase_order.sync_detailed(
            po.id, client=self.api, body=Reason(reason=reason), idempotency_key=_key(idempotency_key),
            if_match=_etag(po)))

    def request_changes(self, po: PurchaseOrderOut, comment: str, *,
                        idempotency_key: str | None = None) -> PurchaseOrderOut:
        return self._po(request_changes_purchase_order.sync_detailed(
            po.id, client=self.api, body=Comment(comment=comment), idempotency_key=_key(idempotency_key),
            if_match=_etag(po)))

    def reopen(self, po: PurchaseOrderOut, *, idempotency_key: str | None = None) -> PurchaseOrderOut:
        return self._po(reopen_purchase_order.sync_detailed(
            po.id, client=self.api, idempotency_key=_key(idempotency_key), if_match=_etag(po)))

    def cancel(self, po: PurchaseOrderOut, reason: str, *, idempotency_key: str | None = None) -> PurchaseOrderOut:
        return self._po(cancel_purchase_order.sync_detailed(
            po.id, client=self.api, body=Reason(reason=reason), idempotency_key=_key(idempotency_key),
            if_match=_etag(po)))

    def withdraw(self, po: PurchaseOrderOut, reason: str | None = None, *,
                 idempotency_key: str | None = None) -> PurchaseOrderOut:
        body = Withdrawal() if reason is None else Withdrawal(reason=reason)
        return self._po(withdraw_purchase_order.sync_detailed(
            po.id, client=self.api, body=body, idempotency_key=_key(idempotency_key), if_match=_etag(po)))

    def receive(self, po: PurchaseOrderOut, *, idempotency_key: str | None = None) -> PurchaseOrderOut:
        return self._po(receive_purchase_order.sync_detailed(
            po.id, client=self.api, idempotency_key=_key(idempotency_key), if_match=_etag(po)))

    def place(self, po: PurchaseOrderOut, *, idempotency_key: str | None = None) -> PlacementOut:
        """202: the placement's operation; `wait_for` follows it to its end."""
        return self._answer(place_purchase_order.sync_detailed(
            po.id, client=self.api, idempotency_key=_key(idempotency_key), if_match=_etag(po)), PlacementOut)

    def reapply(self, intent: Callable[[PurchaseOrderOut], T], po: PurchaseOrderOut, *,
                safe: Callable[[Conflict, PurchaseOrderOut], bool], attempts: int = 3) -> T:
        """`intent(po)`; on a version conflict, read the PO again and, when
        `safe(conflict, fresh_po)` says the intent still holds given what
        changed (`conflict.changes_since`), apply it to the fresh PO (a new
        intent: a new key, the new version). Anything else is raised."""
        for attempt in range(1, attempts + 1):
            try:
                return intent(po)
            except Conflict as conflict:
                if conflict.slug != "version-conflict" or attempt == attempts:
                    raise
                fresh = self.get(po.id)
                if not safe(conflict, fresh):
                    raise
                po = fresh
        raise AssertionError("unreachable")

    # Reads.

    def get(self, po_id: UUID | str) -> PurchaseOrderOut:
        """The PO as it stands (read from its events: never behind a write)."""
        return self._po(get_purchase_order.sync_detailed(_uuid(po_id), client=self.api))

    def history(self, po_id: UUID | str, *, limit: int = 50, cursor: str | None = None) -> HistoryOut:
        """A page of the PO's events, newest first (`next_cursor` for older ones)."""
        return self._answer(get_purchase_order_history.sync_detailed(
            _uuid(po_id), client=self.api, limit=limit, cursor=_given(cursor)), HistoryOut)

    def operation(self, op_id: UUID | str) -> OperationOut:
        return self._answer(get_operation.sync_detailed(_uuid(op_id), client=self.api), OperationOut)

    def wait_for(self, operation: PlacementOut | OperationOut | UUID | str, *, timeout: float = 120.0,
                 poll: float = 0.2, max_poll: float = 5.0) -> OperationOut:
        """Poll the operation until it ends, waiting at least its Retry-After
        and backing off; `succeeded` is returned, `failed` raises
        OperationFailed with its problem, and `timeout` seconds TimeoutError."""
        op_id = operation.id if isinstance(operation, PlacementOut | OperationOut) else _uuid(operation)
        deadline = time.monotonic() + timeout
        while True:
            answer = get_operation.sync_detailed(op_id, client=self.api)
            current = self._answer(answer, OperationOut)
            if current.status == "succeeded":
                return current
            if current.status == "failed":
                raise OperationFailed(current.error)
            wait = max(poll, float(answer.headers.get("Retry-After", 0) or 0))
            if time.monotonic() + wait > deadline:
                raise TimeoutError(f"operation {op_id} still {current.status} after {timeout}s")
            self.retry.sleep(wait)
            poll = min(poll * 2, max_poll)

    def list_purchase_orders(self, *, status: list[str] | None = None, q: str | None = None,
                             limit: int = 50, cursor: str | None = None) -> OrderPageOut:
        """A page of the list, at least as fresh as this client's last write."""
        return self._answer(list_purchase_orders.sync_detailed(
            client=self.api, min_position=self._min_position(), limit=limit, cursor=_given(cursor),
            status=[ListPurchaseOrdersStatusItem(s) for s in status] if status else UNSET, q=_given(q)),
            OrderPageOut)

    def approval_queue(self, *, limit: int = 50, cursor: str | None = None) -> QueuePageOut:
        """The caller's approval queue, at least as fresh as this client's last write."""
        return self._answer(list_approval_queue.sync_detailed(
            client=self.api, min_position=self._min_position(), limit=limit, cursor=_given(cursor)), QueuePageOut)

    # Answers.

    def _po(self, response: Response[Problem | PurchaseOrderOut]) -> PurchaseOrderOut:
        return self._answer(response, PurchaseOrderOut)

    def _answer(self, response: Response[Any], kind: type[Answer]) -> Answer:
        self._note(response.headers)
        parsed = response.parsed
        if isinstance(parsed, kind):
            return parsed
        if isinstance(parsed, Problem):
            raise error_for(parsed)
        raise UnexpectedAnswer(f"{int(response.status_code)}: {response.content[:200]!r}")

    def _note(self, headers: MutableMapping[str, str]) -> None:
        for name in ("Event-Position", "Projection-Position"):
            value = headers.get(name)
            if value is not None and value.isdigit():
                self.position = max(self.position, int(value))

    def _min_position(self) -> int | Unset:
        return self.position or UNSET


def _key(given: str | None) -> str:
    return given or str(uuid.uuid4())


def _etag(po: PurchaseOrderOut) -> str:
    return f'"{po.version}"'


def _uuid(value: UUID | str) -> UUID:
    return value if isinstance(value, UUID) else UUID(value)


def _given(value: str | None) -> str | Unset:
    return UNSET if value is None else value


def _draft(draft: DraftLike) -> Draft:
    return draft if isinstance(draft, Draft) else Draft.from_dict(dict(draft))
