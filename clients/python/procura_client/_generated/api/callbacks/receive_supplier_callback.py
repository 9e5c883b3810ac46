from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.callback_receipt_out import CallbackReceiptOut
from ...models.problem import Problem
from ...types import UNSET, Response, Unset


def _get_kwargs(
    supplier_id: str,
    *,
    webhook_id: str,
    webhook_timestamp: str,
    webhook_signature: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    headers["webhook-id"] = webhook_id

    headers["webhook-timestamp"] = webhook_timestamp

    headers["webhook-signature"] = webhook_signature

    if not isinstance(x_request_id, Unset):
        headers["X-Request-Id"] = x_request_id

    if not isinstance(x_correlation_id, Unset):
        headers["X-Correlation-Id"] = x_correlation_id

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/callbacks/suppliers/{supplier_id}".format(
            supplier_id=quote(str(supplier_id), safe=""),
        ),
    }

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CallbackReceiptOut | Problem | None:
    if response.status_code == 200:
        response_200 = CallbackReceiptOut.from_dict(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = CallbackReceiptOut.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = Problem.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Problem.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Problem.from_dict(response.json())

        return response_404

    if response.status_code == 408:
        response_408 = Problem.from_dict(response.json())

        return response_408

    if response.status_code == 413:
        response_413 = Problem.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = Problem.from_dict(response.json())

        return response_422

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
) -> Response[CallbackReceiptOut | Problem]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    supplier_id: str,
    *,
    client: AuthenticatedClient | Client,
    webhook_id: str,
    webhook_timestamp: str,
    webhook_signature: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[CallbackReceiptOut | Problem]:
    """A supplier's signed callback (Standard Webhooks); for suppliers, not clients

     A supplier's signed callback (Standard Webhooks); for suppliers, not clients

    Args:
        supplier_id (str):
        webhook_id (str):
        webhook_timestamp (str):
        webhook_signature (str):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CallbackReceiptOut | Problem]
    """

    kwargs = _get_kwargs(
        supplier_id=supplier_id,
        webhook_id=webhook_id,
        webhook_timestamp=webhook_timestamp,
        webhook_signature=webhook_signature,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    supplier_id: str,
    *,
    client: AuthenticatedClient | Client,
    webhook_id: str,
    webhook_timestamp: str,
    webhook_signature: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> CallbackReceiptOut | Problem | None:
    """A supplier's signed callback (Standard Webhooks); for suppliers, not clients

     A supplier's signed callback (Standard Webhooks); for suppliers, not clients

    Args:
        supplier_id (str):
        webhook_id (str):
        webhook_timestamp (str):
        webhook_signature (str):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CallbackReceiptOut | Problem
    """

    return sync_detailed(
        supplier_id=supplier_id,
        client=client,
        webhook_id=webhook_id,
        webhook_timestamp=webhook_timestamp,
        webhook_signature=webhook_signature,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    ).parsed


async def asyncio_detailed(
    supplier_id: str,
    *,
    client: AuthenticatedClient | Client,
    webhook_id: str,
    webhook_timestamp: str,
    webhook_signature: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> Response[CallbackReceiptOut | Problem]:
    """A supplier's signed callback (Standard Webhooks); for suppliers, not clients

     A supplier's signed callback (Standard Webhooks); for suppliers, not clients

    Args:
        supplier_id (str):
        webhook_id (str):
        webhook_timestamp (str):
        webhook_signature (str):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CallbackReceiptOut | Problem]
    """

    kwargs = _get_kwargs(
        supplier_id=supplier_id,
        webhook_id=webhook_id,
        webhook_timestamp=webhook_timestamp,
        webhook_signature=webhook_signature,
        x_request_id=x_request_id,
        x_correlation_id=x_correlation_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    supplier_id: str,
    *,
    client: AuthenticatedClient | Client,
    webhook_id: str,
    webhook_timestamp: str,
    webhook_signature: str,
    x_request_id: str | Unset = UNSET,
    x_correlation_id: str | Unset = UNSET,
) -> CallbackReceiptOut | Problem | None:
    """A supplier's signed callback (Standard Webhooks); for suppliers, not clients

     A supplier's signed callback (Standard Webhooks); for suppliers, not clients

    Args:
        supplier_id (str):
        webhook_id (str):
        webhook_timestamp (str):
        webhook_signature (str):
        x_request_id (str | Unset):
        x_correlation_id (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CallbackReceiptOut | Problem
    """

    return (
        await asyncio_detailed(
            supplier_id=supplier_id,
            client=client,
            webhook_id=webhook_id,
            webhook_timestamp=webhook_timestamp,
            webhook_signature=webhook_signature,
            x_request_id=x_request_id,
            x_correlation_id=x_correlation_id,
        )
    ).parsed
