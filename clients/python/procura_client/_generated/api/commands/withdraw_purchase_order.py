from http import HTTPStatus
from typing import Any
from urllib.parse import quote
from uuid import UUID

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.problem import Problem
from ...models.purchase_order_out import PurchaseOrderOut
from ...models.withdrawal import Withdrawal
from ...types import UNSET, Response, Unset


def _get_kwargs(
    po_id: UUID,
    *,
    body: Withdrawal | Unset = UNSET,
    idempotency_key: str,
    if_match: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["Idempotency-Key"] = idempotency_key

    headers["If-Match"] = if_match

    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    if not isinstance(x_correlation_id, Unset):
        headers["X-Correlation-Id"] = x_correlation_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/purchase-orders/{po_id}/withdraw".format(
            po_id=quote(str(po_id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Problem | PurchaseOrderOut | None:
    if response.status_code == 200:
        response_200 = PurchaseOrderOut.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Problem.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 408:
        response_408 = Problem.from_dict(response.json())

        return response_408

    if response.status_code == 409:
        response_409 = Problem.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 415:
        response_415 = Problem.from_dict(response.json())

        return response_415

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

    if response.status_code == 428:
        response_428 = Problem.from_dict(response.json())

        return response_428

    if response.status_code == 429:
        response_429 = Problem.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Problem.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = Problem.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Problem.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = Problem.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Problem | PurchaseOrderOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    po_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: Withdrawal | Unset = UNSET,
    idempotency_key: str,
    if_match: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[Problem | PurchaseOrderOut]:
    """Withdraw a purchase order

     The `withdraw` command (see the transition table in docs/integrators/api.md and
    docs/integrators/behaviour.md for who may send it from which status).

    Args:
        po_id (UUID):
        idempotency_key (str):
        if_match (str):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):
        body (Withdrawal | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | PurchaseOrderOut]
    """

    kwargs = _get_kwargs(
        po_id=po_id,
        body=body,
        idempotency_key=idempotency_key,
        if_match=if_match,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    po_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: Withdrawal | Unset = UNSET,
    idempotency_key: str,
    if_match: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Problem | PurchaseOrderOut | None:
    """Withdraw a purchase order

     The `withdraw` command (see the transition table in docs/integrators/api.md and
    docs/integrators/behaviour.md for who may send it from which status).

    Args:
        po_id (UUID):
        idempotency_key (str):
        if_match (str):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):
        body (Withdrawal | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | PurchaseOrderOut
    """

    return sync_detailed(
        po_id=po_id,
        client=client,
        body=body,
        idempotency_key=idempotency_key,
        if_match=if_match,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    ).parsed


async def asyncio_detailed(
    po_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: Withdrawal | Unset = UNSET,
    idempotency_key: str,
    if_match: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[Problem | PurchaseOrderOut]:
    """Withdraw a purchase order

     The `withdraw` command (see the transition table in docs/integrators/api.md and
    docs/integrators/behaviour.md for who may send it from which status).

    Args:
        po_id (UUID):
        idempotency_key (str):
        if_match (str):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):
        body (Withdrawal | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Problem | PurchaseOrderOut]
    """

    kwargs = _get_kwargs(
        po_id=po_id,
        body=body,
        idempotency_key=idempotency_key,
        if_match=if_match,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    po_id: UUID,
    *,
    client: AuthenticatedClient | Client,
    body: Withdrawal | Unset = UNSET,
    idempotency_key: str,
    if_match: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Problem | PurchaseOrderOut | None:
    """Withdraw a purchase order

     The `withdraw` command (see the transition table in docs/integrators/api.md and
    docs/integrators/behaviour.md for who may send it from which status).

    Args:
        po_id (UUID):
        idempotency_key (str):
        if_match (str):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):
        body (Withdrawal | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Problem | PurchaseOrderOut
    """

    return (
        await asyncio_detailed(
            po_id=po_id,
            client=client,
            body=body,
            idempotency_key=idempotency_key,
            if_match=if_match,
            x_request_id=x_request_id,
            x_correlation_id=x_correlation_id,
        )
    ).parsed
